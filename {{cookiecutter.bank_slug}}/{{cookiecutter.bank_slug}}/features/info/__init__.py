"""Information anyone may ask for, bound or not: the welcome on follow (and the follower record), 帮助, 网点,
客服, the location WeChat reports or the user sends (kept for a branch finder), and the fallback answers to
what nothing else understood."""

from ...feature import Feature

feature = Feature(
    name="info",
    package=__name__,
    models=(".models",),
    chat=(".welcome", ".help", ".branches", ".contact", ".location", ".fallback"),
)
