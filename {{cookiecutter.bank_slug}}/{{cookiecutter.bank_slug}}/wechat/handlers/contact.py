"""客服 / the CONTACT menu key: how to reach a person."""

from flask import current_app

MENU_KEY = "CONTACT"
CONTACT = (
    "如需人工服务，请致电{bank_name}客服热线 {hotline}。\n"
    "请勿向任何人透露密码和短信验证码，本行工作人员不会索要。"
)


def contact_text() -> str:
    config = current_app.config
    return CONTACT.format(bank_name=config["BANK_SHORT_NAME"], hotline=config["SERVICE_HOTLINE"])


def register(router) -> None:
    def on_contact(message):
        return contact_text()

    router.text("客服", "人工", "人工客服", "热线", summary="联系人工客服", order=900)(on_contact)
    router.click(MENU_KEY)(on_contact)
