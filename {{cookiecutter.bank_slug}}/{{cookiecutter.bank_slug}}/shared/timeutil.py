"""Time helpers: the database stores UTC; people see the bank's configured time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_time(value: datetime) -> datetime:
    """A naive UTC datetime from the database, shown in the bank's time zone."""
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
