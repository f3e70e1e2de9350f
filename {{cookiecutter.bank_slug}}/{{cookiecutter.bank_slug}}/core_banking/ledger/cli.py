"""`flask ledger ...`: tools for the built-in ledger."""

import click
from flask.cli import AppGroup

from ...extensions import db
from .check import begin_snapshot, check_ledger, summary_lines


@click.group("ledger", cls=AppGroup)
def ledger_group() -> None:
    """Built-in double-entry ledger (内置复式记账核心)."""


@ledger_group.command("check")
def ledger_check() -> None:
    """Verify the ledger's invariants; exits 1 naming each breach."""
    with db.engine.connect() as connection:
        begin_snapshot(connection)
        report = check_ledger(connection)
    for line in summary_lines(report):
        click.echo(line)
    if report.ok:
        click.echo("账务核对通过 Ledger check passed.")
        return
    for breach in report.breaches:
        click.echo(f"不符 BREACH: {breach}", err=True)
    click.echo(f"账务核对未通过 Ledger check failed: {len(report.breaches)} breach(es).", err=True)
    raise SystemExit(1)
