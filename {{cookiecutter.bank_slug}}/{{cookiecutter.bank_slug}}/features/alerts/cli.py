"""`flask alerts import FILE`: the core's end-of-day transactions into the outbox (the `alerts` group is the
outbox's: outbox/cli.py)."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ...extensions import db
from .csv_import import CsvFileError, ImportSummary, import_csv

MAX_REFUSED_SHOWN = 50


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default="utf-8-sig", show_default=True, help="The file's encoding (e.g. gb18030).")
@with_appcontext
def import_command(path: str, encoding: str) -> None:
    """Import the core's end-of-day CSV of transactions (idempotent: run it again after a failure)."""
    ledger = current_app.config["CORE_BANKING_ADAPTER"] == "ledger"

    def progress(summary: ImportSummary) -> None:
        click.echo(f"  ... {summary.lines} lines read, {summary.stored} stored", err=True)

    try:
        summary = import_csv(db.engine, path, ledger=ledger, encoding=encoding, progress=progress)
    except CsvFileError as exc:
        raise click.ClickException(f"{exc} / 文件无法读取，未导入任何交易") from None
    click.echo(f"导入完成 imported {path}: {summary.lines} lines, {summary.stored} stored, "
               f"{summary.skipped} skipped (already stored), {len(summary.refused)} refused")
    for line, reason in summary.refused[:MAX_REFUSED_SHOWN]:
        click.echo(f"  line {line}: {reason}")
    if len(summary.refused) > MAX_REFUSED_SHOWN:
        click.echo(f"  ... and {len(summary.refused) - MAX_REFUSED_SHOWN} more refused lines")
    if summary.refused:
        sys.exit(1)
