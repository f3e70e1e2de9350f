"""Information anyone may ask for, bound or not: the welcome on follow (and the follower record), 帮助, 网点,
客服, the location WeChat reports or the user sends, the branch finder (网点搜索: the nearest branches in chat and on
/h5/branches), and the fallback answers to what nothing else understood."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="info",
    package=__name__,
    models=(".models",),
    chat=(".welcome", ".help", ".branches", ".contact", ".location", ".fallback"),
    h5=(".h5",),
    hall=(HallTile("branches", _l("网点查询"), _l("离您最近的网点和 ATM"), _l("网")),),
)
