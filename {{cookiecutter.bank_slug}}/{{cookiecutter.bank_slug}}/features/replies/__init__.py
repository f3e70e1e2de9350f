"""Keyword replies (关键词回复): text rules staff edit in the admin panel, answered in the chat after the
built-in keywords and before the fallback; and 人工, the hand-over to WeChat customer service."""

from ...feature import Feature

feature = Feature(
    name="replies",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    admin=(".admin",),
)
