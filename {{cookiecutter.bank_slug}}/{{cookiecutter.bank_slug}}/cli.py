"""Command-line tools: `flask --app <package> <command>` (see the README)."""

from datetime import timedelta

import click
import requests
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from . import demo_data
from .admin import audit as admin_audit
from .admin.models import ROLE_BRANCH_OPERATOR, ROLE_HEAD_OFFICE, ROLES, StaffUser
from .alerts.cli import alerts_group
from .banking.ledger.cli import ledger_group
from .banking.ledger.demo import seed_demo_ledger
from .banking.models import Branch, Customer
from .extensions import db
from .i18n_catalogs import i18n_group
from .masking import mask_card, mask_id_number, mask_name, mask_phone
from .sandbox.cli import sandbox_group
from .wechat import dedup
from .wechat.token_cli import token_command


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema to the latest migration (safe to run again)."""
    upgrade()
    click.echo("数据库已就绪 Database schema is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add demo branches and customers (skips what already exists)."""
    branches = {}
    for code, name, address, phone in demo_data.BRANCHES:
        branch = db.session.execute(select(Branch).where(Branch.code == code)).scalar_one_or_none()
        if branch is None:
            branch = Branch(code=code, name=name, address=address, phone=phone)
            db.session.add(branch)
        branches[code] = branch
    added = 0
    for name, birth, sequence, phone, branch_code in demo_data.CUSTOMERS:
        number = demo_data.id_number(birth, sequence)
        exists = db.session.execute(select(Customer.id).where(Customer.id_number == number)).first()
        if exists:
            continue
        db.session.add(Customer(name=name, id_number=number, phone=phone, branch=branches[branch_code]))
        added += 1
        click.echo(f"  {mask_name(name)}  {mask_id_number(number)}  {mask_phone(phone)}  {branch_code}")
    db.session.commit()
    click.echo(f"演示数据已就绪：新增客户 {added} 位 Demo data ready: {added} customers added.")
    _seed_demo_ledger()
    _seed_demo_products()


def _seed_demo_products() -> None:
    """Two products on sale, one draft and one closed (sale windows relative to today)."""
    from .products.demo import seed_demo_products
    from .products.models import bank_today

    products = seed_demo_products(bank_today())
    for product, added in products:
        if added:
            click.echo(f"  {product.code}  {product.name}  {product.status}  {product.yield_range}")
    added = sum(1 for _product, was_added in products if was_added)
    click.echo(f"演示理财产品已就绪：新增 {added} 款 Demo wealth products ready: {added} added.")


def _seed_demo_ledger() -> None:
    """Demo card accounts with opening deposits from the capital account, and the settlement account."""
    accounts = seed_demo_ledger(db.session, db.engine)
    for account in accounts:
        if account.added:
            yuan, fen = divmod(account.opening_fen, 100)
            click.echo(f"  {mask_card(account.card_number)}  {yuan:,}.{fen:02d} 元")
    opened = sum(account.added for account in accounts)
    click.echo(f"演示账户已就绪：新开户 {opened} 个 Demo ledger ready: {opened} accounts opened.")
    click.echo(f"演示交易密码（仅用于演示）Demo transaction PIN (demo only): {demo_data.DEMO_PIN}")


@click.command("create-admin")
@with_appcontext
@click.option("--username", prompt="用户名 Username")
@click.option("--name", "display_name", prompt="姓名 Display name")
@click.option("--role", type=click.Choice(ROLES), default=ROLE_HEAD_OFFICE, show_default=True)
@click.option("--branch", "branch_code", default=None, help="Branch code (required for branch operators)")
@click.password_option("--password", prompt="密码 Password", confirmation_prompt=True)
def create_admin(username: str, display_name: str, role: str, branch_code: str | None, password: str) -> None:
    """Create a staff user of the admin panel (the password is asked for, never echoed)."""
    username = username.strip()
    if not username:
        raise click.BadParameter("用户名不能为空 username must not be empty", param_hint="--username")
    if db.session.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise click.BadParameter(f"用户 {username} 已存在 user already exists", param_hint="--username")
    branch = None
    if branch_code:
        branch = db.session.execute(select(Branch).where(Branch.code == branch_code)).scalar_one_or_none()
        if branch is None:
            raise click.BadParameter(f"网点 {branch_code} 不存在 no such branch", param_hint="--branch")
    if role == ROLE_BRANCH_OPERATOR and branch is None:
        raise click.BadParameter("网点操作员须指定 --branch a branch operator needs --branch",
                                 param_hint="--branch")
    user = StaffUser(username=username, display_name=display_name.strip() or username, role=role, branch=branch)
    try:
        user.set_password(password)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--password") from None
    db.session.add(user)
    db.session.flush()
    admin_audit.record("create", "staff_user", user.id, None,
                       {"username": user.username, "display_name": user.display_name, "role": role,
                        "branch_code": branch_code or None}, staff=None, actor_username="(create-admin)")
    click.echo(f"已创建管理员 {username}（{role}）Staff user created.")


@click.group("wechat", cls=AppGroup)
def wechat_group() -> None:
    """WeChat official-account tools."""


@wechat_group.command("settings")
def wechat_settings() -> None:
    """Print what to enter in the WeChat platform's server settings (基本配置 → 服务器配置)."""
    config = current_app.config
    mode_names = {"plain": "明文模式 plain", "compat": "兼容模式 compat", "safe": "安全模式 safe"}
    click.echo(f"服务器地址 URL:            https://{config['PUBLIC_DOMAIN']}/wechat")
    click.echo(f"令牌 Token:                {config['WECHAT_TOKEN']}")
    click.echo(f"消息加解密密钥 EncodingAESKey: {config['WECHAT_ENCODING_AES_KEY']}")
    click.echo(f"消息加解密方式 mode:        {mode_names[config['WECHAT_ENCRYPT_MODE']]}")
    if config["WECHAT_SANDBOX"]:
        click.echo("（当前为沙箱模式 sandbox mode: no real WeChat account is used）")


wechat_group.add_command(token_command)


@wechat_group.command("prune-messages")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Keep inbound message records this many days.")
def prune_messages(days: int) -> None:
    """Delete old inbound message records (the retry de-dup needs only minutes)."""
    removed = dedup.prune(timedelta(days=days))
    click.echo(f"已清理 {removed} 条消息记录 Removed {removed} inbound message records older than {days} days.")


@wechat_group.command("push-menu")
@click.option("--dry-run", is_flag=True, help="Validate and print the menu without pushing it.")
def wechat_push_menu(dry_run: bool) -> None:
    """Publish the custom menu through the WeChat API: the newest one published from the admin panel,
    else WECHAT_MENU_FILE, else the default (see wechat/menu_publish.py)."""
    from wechatpy.exceptions import WeChatClientException

    from .wechat.client import get_client
    from .wechat.menu import MenuError, describe
    from .wechat.menu_publish import menu_to_publish

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


def register_cli(app: Flask) -> None:
    for command in (init_db, seed_demo, create_admin, wechat_group, sandbox_group, ledger_group,
                    alerts_group, i18n_group):
        app.cli.add_command(command)
