"""帮助 / help: the list of commands, built from what the router has registered."""

from flask import current_app

MENU_KEY = "HELP"


def help_text(router) -> str:
    lines = [f"{current_app.config['BANK_SHORT_NAME']}微信银行，回复以下关键词使用服务："]
    lines += [f"「{command.keywords[0]}」{command.summary}" for command in router.commands]
    lines.append(f'网上服务：<a href="{current_app.config["PUBLIC_BASE_URL"]}/h5/">进入服务大厅</a>')
    lines.append(f"人工服务请致电客服热线 {current_app.config['SERVICE_HOTLINE']}。")
    return "\n".join(lines)


def register(router) -> None:
    def on_help(message):
        return help_text(router)

    router.text("帮助", "help", "?", "？", "菜单", summary="查看全部功能", order=1000)(on_help)
    router.click(MENU_KEY)(on_help)
