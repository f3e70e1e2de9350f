"""绑定 / 绑卡: the link to the binding page (the menu's 账户 → 绑定 opens the same page)."""

from ...h5.links import public_url
from ...shared.i18n import _l

BIND_LINK = _l("绑定本行银行卡，请<a href=\"{url}\">点此进入绑卡页面</a>，按提示输入卡号、验证身份和短信验证码即可。")


def register(router) -> None:
    def on_bind(message):
        return BIND_LINK.format(url=public_url("h5.binding.form"))

    router.text("绑定", "绑卡", "绑定银行卡", summary=_l("绑定本行银行卡"), order=100)(on_bind)
