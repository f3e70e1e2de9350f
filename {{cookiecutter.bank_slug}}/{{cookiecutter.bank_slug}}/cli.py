"""Command-line tools: `flask --app <package> <command>` (see the README)."""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from .core_banking.ledger.cli import ledger_group
from .core_banking.ledger.demo import seed_demo_ledger
from .core_banking.models import Branch, Customer, id_number_key
from .deploy_check import check_deploy
from .extensions import db
from .feature import demo_seeders
from .ops.backup import backup_group
from .sandbox.cli import sandbox_group
from .settings import of as settings_of
from .shared import demo_data
from .shared.masking import mask_card, mask_id_number, mask_name, mask_phone
from .shared.money import format_yuan
from .web.i18n_catalogs import i18n_group
from .wechat.cli import wechat_group


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema to the latest migration (safe to run again)."""
    upgrade()
    click.echo("数据库已就绪 Database schema is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Demo data (skips what already exists): the simulated core's branches, customers and accounts, then each
    feature's own (wealth products, ...). Sandbox only: the demo customers' PIN is published."""
    if not settings_of(current_app).wechat.sandbox:
        raise click.ClickException("演示数据只能用于沙箱（WECHAT_SANDBOX=1）：演示客户的交易密码是公开的。"
                                   " Demo data is for the sandbox only (WECHAT_SANDBOX=1): the demo PIN is published.")
    branches = {}
    for code, name, address, phone, hours, latitude, longitude in demo_data.BRANCHES:
        branch = db.session.execute(select(Branch).where(Branch.code == code)).scalar_one_or_none()
        if branch is None:
            branch = Branch(code=code, name=name, address=address, phone=phone, opening_hours=hours,
                            latitude=latitude, longitude=longitude, kind="branch",
                            services=demo_data.BRANCH_SERVICES.get(code))
            db.session.add(branch)
        branches[code] = branch
    for code, name, address, hours, latitude, longitude, kind, services in demo_data.SELF_SERVICE_POINTS:
        if db.session.execute(select(Branch.id).where(Branch.code == code)).first() is None:
            db.session.add(Branch(code=code, name=name, address=address, opening_hours=hours, latitude=latitude,
                                  longitude=longitude, kind=kind, services=services))
    added = 0
    for name, birth, sequence, phone, branch_code in demo_data.CUSTOMERS:
        number = demo_data.id_number(birth, sequence)
        exists = db.session.execute(select(Customer.id).where(Customer.id_number_hash == id_number_key(number))).first()
        if exists:
            continue
        db.session.add(Customer(name=name, id_number=number, phone=phone, branch=branches[branch_code]))
        added += 1
        click.echo(f"  {mask_name(name)}  {mask_id_number(number)}  {mask_phone(phone)}  {branch_code}")
    db.session.commit()
    click.echo(f"演示数据已就绪：新增客户 {added} 位 Demo data ready: {added} customers added.")
    _seed_demo_ledger()
    for seed in demo_seeders(current_app):  # the features' own demo data (products, ...)
        seed()


def _seed_demo_ledger() -> None:
    """Demo card accounts with opening deposits from the capital account, and the settlement account."""
    accounts = seed_demo_ledger(db.session, db.engine)
    for account in accounts:
        if account.added:
            click.echo(f"  {mask_card(account.card_number)}  {format_yuan(account.opening_fen)} 元")
    opened = sum(account.added for account in accounts)
    click.echo(f"演示账户已就绪：新开户 {opened} 个 Demo ledger ready: {opened} accounts opened.")
    click.echo(f"演示交易密码（仅用于演示）Demo transaction PIN (demo only): {demo_data.DEMO_PIN}")


def register_cli(app: Flask) -> None:
    """The app's own commands; each feature adds its own when it is installed (feature.py)."""
    for command in (init_db, seed_demo, check_deploy, backup_group, wechat_group, sandbox_group, ledger_group,
                    i18n_group):
        app.cli.add_command(command)
