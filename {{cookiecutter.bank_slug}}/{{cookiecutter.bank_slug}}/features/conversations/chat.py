"""人工 / 转人工 / 人工客服 / 客户经理 open a conversation with staff; while it is open every message of the customer
goes to it (a claim on the router, before keyword routing); 结束 ends it; a digit 1..5 just after the close rates it.

With CONVERSATION_HANDOFF=wechat (a bank that uses WeChat's own 客服 system) nothing is claimed: 人工 stays the
transfer_customer_service hand-over of features/info/contact.py, and so is 客户经理.
"""

from flask import current_app
from wechatpy.replies import TransferCustomerServiceReply

from ...shared.i18n import _l
from ...wechat.router import normalise
from . import service
from .open_set import open_set

HANDOFF_KEYWORDS = ("人工", "人工服务", "转人工", "人工客服")  # also registered by features/info/contact.py
MANAGER_KEYWORDS = ("客户经理", "我的客户经理", "找客户经理")
_HANDOFF = frozenset(normalise(k) for k in HANDOFF_KEYWORDS + MANAGER_KEYWORDS)
_END = frozenset(normalise(k) for k in service.END_KEYWORDS)


def builtin() -> bool:
    return current_app.config["CONVERSATION_HANDOFF"] == "builtin"


def message_text(message) -> str:
    """What the customer said, as text for the thread (media are named, not stored)."""
    kind = message.type
    if kind == "text":
        return message.content or ""
    if kind == "voice":
        return getattr(message, "recognition", None) or "[语音]"
    if kind == "location":
        return f"[位置] {getattr(message, 'label', '') or ''}".strip()
    if kind == "link":
        return f"[链接] {getattr(message, 'title', '') or ''} {getattr(message, 'url', '') or ''}".strip()
    return {"image": "[图片]", "video": "[视频]", "shortvideo": "[视频]"}.get(kind, "[消息]")


def on_handoff(message):
    return service.start(message.source).reply


def on_message(message):
    return service.customer_message(message.source, message_text(message)).reply


def on_end(message):
    return service.customer_end(message.source)


def on_rating(message):
    conversation = service.rating_pending(message.source)
    if conversation is None:
        return None
    try:
        service.rate(message.source, conversation.id, message.content)
    except (service.ConversationRefused, service.ConversationStateRefused) as exc:
        return str(exc.message)
    return str(_l("感谢您的评价！"))


def claim(message):
    """The handler that takes this message before keyword routing, or None."""
    if not message.source or not builtin():
        return None
    key = normalise(message.content) if message.type == "text" else ""
    if key in _HANDOFF:
        return on_handoff
    if open_set(current_app).may_have(message.source) and service.has_open_conversation(message.source):
        return on_end if key in _END else on_message
    if key in ("1", "2", "3", "4", "5") and service.rating_pending(message.source) is not None:
        return on_rating
    return None


def on_manager(message):
    """客户经理 in the WeChat mode (the builtin mode claims it first): WeChat's own 客服 system."""
    return TransferCustomerServiceReply(message=message)


def register(router) -> None:
    router.claim(claim)
    router.text(*MANAGER_KEYWORDS, summary=_l("联系您的客户经理（人工服务）"), order=880)(on_manager)
