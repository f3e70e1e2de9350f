"""Balance (余额): the chat reply for every bound card and the H5 page with recent transactions."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="balance",
    package=__name__,
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("balance", _l("余额查询"), _l("随时查看账户余额"), _l("余")),),
)
