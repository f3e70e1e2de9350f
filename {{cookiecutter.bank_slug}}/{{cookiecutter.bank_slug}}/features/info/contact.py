"""客服 / the CONTACT menu key: how to reach a person; 人工: the hand-over to WeChat customer service.

By default (CONVERSATION_HANDOFF=builtin) the conversations feature claims 人工 before keyword routing and opens
a conversation with the bank's own staff (features/conversations). With CONVERSATION_HANDOFF=wechat, 人工 (人工服务,
转人工, 人工客服) answers with a transfer_customer_service reply: WeChat then passes the customer's messages to the
account's customer-service agents (公众平台「客服功能」, which the account must have switched on) instead of to
/wechat.
"""

from flask import current_app
from wechatpy.replies import TransferCustomerServiceReply

from ...shared.i18n import _l
from ...web.language import bank_name

MENU_KEY = "CONTACT"
HANDOFF_KEYWORDS = ("人工", "人工服务", "转人工", "人工客服")
CONTACT = _l(
    "如需人工服务，请回复「人工」转接在线客服，或致电{bank_name}客服热线 {hotline}。\n"
    "请勿向任何人透露密码和短信验证码，本行工作人员不会索要。"
)


def contact_text() -> str:
    config = current_app.config
    return CONTACT.format(bank_name=bank_name(config, short=True), hotline=config["SERVICE_HOTLINE"])


def hand_over(message) -> TransferCustomerServiceReply:
    return TransferCustomerServiceReply(message=message)


def register(router) -> None:
    def on_contact(message):
        return contact_text()

    router.text("客服", "热线", summary=_l("客服热线"), order=900)(on_contact)
    router.click(MENU_KEY)(on_contact)
    router.text(*HANDOFF_KEYWORDS, summary=_l("转接在线人工客服"), order=890)(hand_over)
