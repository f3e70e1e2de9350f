"""帮助 / help: the list of commands, built from what the router has registered."""

from flask import current_app

from ...shared.i18n import _, _l
from ...web.language import bank_name, current_language

MENU_KEY = "HELP"


def help_text(router) -> str:
    """The help list in the current language. It depends only on the settings and the registered commands, so
    it is built once per app, language and number of commands (every string in it is translated: a dozen
    catalogue lookups a message otherwise)."""
    key = ("help", id(current_app.config), current_language(), router.command_count)
    text = router.memo.get(key)
    if text is None:
        text = router.memo[key] = _build(router)
    return text


def _build(router) -> str:
    config = current_app.config
    lines = [_("%(bank)s微信银行，回复以下关键词使用服务：", bank=bank_name(config, short=True))]
    lines += [f"「{command.keywords[0]}」{command.summary}" for command in router.commands]
    lines.append(_('网上服务：<a href="%(url)s">进入服务大厅</a>', url=f'{config["PUBLIC_BASE_URL"]}/h5/'))
    lines.append(_("人工服务请致电客服热线 %(hotline)s。", hotline=config["SERVICE_HOTLINE"]))
    return "\n".join(lines)


def register(router) -> None:
    def on_help(message):
        return help_text(router)

    router.text("帮助", "help", "?", "？", "菜单", summary=_l("查看全部功能"), order=1000)(on_help)
    router.click(MENU_KEY)(on_help)
