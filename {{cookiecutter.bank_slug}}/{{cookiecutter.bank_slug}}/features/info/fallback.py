"""What unknown text and unsupported message types get: a helpful answer, never silence."""

from flask import current_app

from ...shared.i18n import _l
from ...shared.masking import scrub

UNKNOWN_TEXT = _l("抱歉，暂时没能理解“{echo}”。回复「人工」联系客服人员，回复「帮助」查看可用功能，"
                  "或致电客服热线 {hotline}。")
UNSUPPORTED = _l("抱歉，暂不支持处理此类消息，请发送文字。回复「帮助」查看可用功能。")
MAX_ECHO = 20


def on_unknown_text(message):
    text = " ".join((message.content or "").split())
    echo = scrub(text)  # never repeat a card, ID or phone number back in clear
    if len(echo) > MAX_ECHO:
        echo = echo[:MAX_ECHO] + "…"
    return UNKNOWN_TEXT.format(echo=echo, hotline=current_app.config["SERVICE_HOTLINE"])


def on_unsupported(message):
    return str(UNSUPPORTED)


def register(router) -> None:
    router.fallback_text(on_unknown_text)
    router.unsupported(on_unsupported)
