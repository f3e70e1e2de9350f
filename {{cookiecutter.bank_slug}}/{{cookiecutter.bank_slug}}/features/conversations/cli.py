"""`flask conversations prune` (retention), `export` (CSV for a complaint or an audit) and `manager` (make a staff
member an account manager)."""

import sys
from datetime import datetime, timedelta

import click
from sqlalchemy import select

from ...admin.models import StaffUser
from ...extensions import db
from . import service
from .models import AccountManager


@click.group("conversations", help="人工服务 Conversations with staff: retention, export, account managers.")
def conversations() -> None:
    pass


@conversations.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="keep this many days after the close (default CONVERSATION_RETENTION_DAYS)")
def prune(days: int | None) -> None:
    """Delete conversations (and their messages) closed longer ago than the retention period."""
    click.echo(f"{service.prune(days)} conversations deleted")


def _date(value: str, name: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD / 请用 YYYY-MM-DD 格式", param_hint=name) from None


@conversations.command("export")
@click.option("--from", "first", required=True, help="YYYY-MM-DD, local date, first day opened")
@click.option("--to", "last", required=True, help="YYYY-MM-DD, local date, last day opened")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write the CSV (UTF-8 with BOM) to this file instead of stdout")
def export(first: str, last: str, output: str | None) -> None:
    """Every conversation opened in the days, with its masked messages, as CSV."""
    start, end = _date(first, "--from"), _date(last, "--to")
    if end < start:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    rows = service.conversations_between(None, service.utc_of_local(start),
                                         service.utc_of_local(end + timedelta(days=1)))
    text = service.export_csv(rows)
    if output:
        with open(output, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(text)
        click.echo(f"{output}: {len(rows)} conversations")
    else:
        sys.stdout.write(text)


@conversations.command("manager")
@click.argument("username")
@click.option("--title", default="客户经理", show_default=True)
@click.option("--phone", default="", help="the work phone customers see")
@click.option("--photo-url", default="", help="https URL or a /static/ path")
@click.option("--inactive", is_flag=True, help="no longer takes new customers' conversations")
def manager(username: str, title: str, phone: str, photo_url: str, inactive: bool) -> None:
    """Make the staff member USERNAME an account manager (or update the profile)."""
    staff = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if staff is None:
        raise click.BadParameter(f"no staff user {username!r}", param_hint="USERNAME")
    if photo_url and not (photo_url.startswith("https://") or photo_url.startswith("/static/")):
        raise click.BadParameter("must start with https:// or /static/", param_hint="--photo-url")
    profile = db.session.get(AccountManager, staff.id) or AccountManager(staff_id=staff.id)
    profile.title, profile.phone, profile.photo_url, profile.active = title[:32], phone[:20], photo_url[:300], \
        not inactive
    db.session.add(profile)
    db.session.commit()
    click.echo(f"{username}: account manager ({'inactive' if inactive else 'active'})")
