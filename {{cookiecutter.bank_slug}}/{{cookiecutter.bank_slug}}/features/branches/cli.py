"""`flask branches list|add|edit|close|reopen`: head office's branch list from the command line, audited
like the admin panel's writes (the audit log names the command as the actor)."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ...core_banking.models import Branch
from ...extensions import db
from . import service

ACTOR = "(flask branches)"


def _branch_or_fail(code: str):
    branch = service.by_code(code)
    if branch is None:
        raise click.BadParameter(f"网点 {code} 不存在 no such branch", param_hint="CODE")
    return branch


def _commit_or_fail(action):
    try:
        result = action()
    except service.BranchError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    return result


def _details_options(function):
    for option in reversed((
        click.option("--name", help="网点名称 Branch name"),
        click.option("--address", help="地址 Address"),
        click.option("--phone", help="电话 Phone"),
        click.option("--kind", type=click.Choice(["branch", "self_service", "atm"]),
                     help="类型 Kind: branch 营业网点, self_service 自助银行, atm ATM (default branch)"),
        click.option("--hours", "opening_hours",
                     help="营业时间 Opening hours, e.g. '周一至周五 9:00-17:00，周六 9:00-12:00' or '24小时'"),
        click.option("--services", help="业务 Services, e.g. '个人业务、对公业务'"),
        click.option("--lat", "latitude", help="纬度 Latitude (GCJ-02 degrees)"),
        click.option("--lng", "longitude", help="经度 Longitude (GCJ-02 degrees)"),
    )):
        function = option(function)
    return function


def _given(**values) -> dict:
    return {key: value for key, value in values.items() if value is not None}


@click.group("branches")
def branches_group() -> None:
    """网点管理 Branches: list, add, edit, close, reopen (audited)."""


@branches_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include closed branches")
@with_appcontext
def list_branches(show_all: bool) -> None:
    query = select(Branch).order_by(Branch.code)
    if not show_all:
        query = query.where(Branch.closed_at.is_(None))
    rows = db.session.execute(query).scalars().all()
    for branch in rows:
        where = f"{branch.latitude:.6f},{branch.longitude:.6f}" if branch.latitude is not None else "-"
        state = "营业 open" if branch.is_open else f"已关闭 closed {branch.closed_at:%Y-%m-%d}"
        click.echo(f"{branch.code}\t{branch.name}\t{branch.kind}\t{state}\t{branch.address or '-'}\t"
                   f"{branch.phone or '-'}\t{branch.opening_hours or '-'}\t{where}")
    click.echo(f"共 {len(rows)} 个网点 {len(rows)} branches.")


@branches_group.command("add")
@click.argument("code")
@_details_options
@with_appcontext
def add_branch(code: str, **details) -> None:
    """Add branch CODE (1-16 letters or digits, never changed afterwards)."""
    if details["name"] is None:
        raise click.BadParameter("请用 --name 给出网点名称 --name is required", param_hint="--name")
    branch = _commit_or_fail(lambda: service.add({"code": code, **_given(**details)}, actor=ACTOR))
    click.echo(f"已添加网点 {branch.code} {branch.name} Branch added.")


@branches_group.command("edit")
@click.argument("code")
@_details_options
@with_appcontext
def edit_branch(code: str, **details) -> None:
    """Change branch CODE's details; an option given as '' clears that detail."""
    values = _given(**details)
    if not values:
        raise click.UsageError("没有要修改的内容 nothing to change: give --name, --address, ...")
    branch = _branch_or_fail(code)
    _commit_or_fail(lambda: service.edit(branch, values, actor=ACTOR))
    click.echo(f"已修改网点 {branch.code} {branch.name} Branch updated.")


@branches_group.command("close")
@click.argument("code")
@with_appcontext
def close_branch(code: str) -> None:
    """Close branch CODE (kept for the records; no longer listed to customers)."""
    branch = _branch_or_fail(code)
    _commit_or_fail(lambda: service.close(branch, actor=ACTOR))
    click.echo(f"已关闭网点 {branch.code} {branch.name} Branch closed.")


@branches_group.command("reopen")
@click.argument("code")
@with_appcontext
def reopen_branch(code: str) -> None:
    """Reopen a closed branch CODE."""
    branch = _branch_or_fail(code)
    _commit_or_fail(lambda: service.reopen(branch, actor=ACTOR))
    click.echo(f"已重新开放网点 {branch.code} {branch.name} Branch reopened.")
