"""`flask transfers release-due`: release every 普通/次日到账 transfer whose time has come (the dispatcher does this
from its `transfer_release` rows; this sweep is for after an outage of the dispatcher, or a cron beside it)."""

import click
from flask.cli import with_appcontext

from .service import release_due


@click.group("transfers", help="转账 Transfers: held transfers (普通/次日到账).")
def transfers() -> None:
    pass


@transfers.command("release-due")
@with_appcontext
def release_due_command() -> None:
    """Release the held transfers that are due now (a revoked one is left as it is; an unreachable core: run again)."""
    click.echo(f"released {release_due()} due transfer(s)")
