"""`flask wechat push-menu`: publish the custom menu through the WeChat API."""

import click
import requests
from flask import current_app
from flask.cli import with_appcontext
from wechatpy.exceptions import WeChatClientException

from ...wechat.client import get_client
from ...wechat.menu import MenuError, describe
from .service import menu_to_publish


@click.command("push-menu")
@click.option("--dry-run", is_flag=True, help="Validate and print the menu without pushing it.")
@with_appcontext
def push_menu(dry_run: bool) -> None:
    """Publish the custom menu through the WeChat API: the newest one published from the admin panel,
    else WECHAT_MENU_FILE, else the default (see service.py)."""
    try:
        chosen = menu_to_publish(current_app.config)
    except MenuError as exc:
        problems = "\n  ".join(exc.problems)
        raise click.ClickException(f"菜单不符合微信规则 The menu breaks WeChat's rules:\n  {problems}") from None
    menu = chosen.menu
    click.echo(f"菜单来源 Source: {chosen.source}")
    for line in describe(menu):
        click.echo(line)
    if dry_run:
        click.echo("菜单校验通过（未发布）Menu is valid (not pushed: --dry-run).")
        return
    try:
        get_client().menu.create(menu)
    except WeChatClientException as exc:
        raise click.ClickException(f"微信拒绝了菜单 WeChat refused the menu: {exc.errcode} {exc.errmsg}") from None
    except requests.RequestException as exc:
        raise click.ClickException(f"无法连接微信接口 Cannot reach the WeChat API: {type(exc).__name__}") from None
    target = "沙箱 sandbox mock" if current_app.config["WECHAT_SANDBOX"] else "微信 WeChat"
    click.echo(f"菜单已发布到{target} Menu pushed.")
