"""`flask credit-cards remind`: write the due-date reminders of the bound credit cards' newest statements into
the outbox (run it daily, e.g. from cron or a systemd timer; running it again writes nothing new)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .notify import schedule_reminders


@click.group("credit-cards")
def credit_cards_group() -> None:
    """信用卡 credit cards."""


@credit_cards_group.command("remind")
@with_appcontext
def remind() -> None:
    """Schedule the due-date reminders (CREDIT_REMINDER_DAYS_BEFORE days before the due date, 10:00 bank time)."""
    written, skipped = schedule_reminders(current_app.config)
    click.echo(f"还款提醒已排期 reminders scheduled: {written} new, {skipped} already scheduled or not needed")
