"""What the dashboard is made of: the features' panels (numbers and daily charts), and the helpers they count
with, scoped to a branch (branch operators) or the whole bank (head office, branch_code=None).

Days are the bank's local calendar days (TIMEZONE); each daily count is one SQL query with one bucket per day,
so it works the same on SQLite and PostgreSQL. A feature's dashboard module has `panels(branch_code, days)`
returning `Stat` and `DailyChart` objects (feature.py: Feature.dashboard).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, func, select

from ..extensions import db
from ..shared.timeutil import utcnow

DAYS = 14


@dataclass(frozen=True)
class DayCount:
    day: date
    ok: int
    failed: int

    @property
    def total(self) -> int:
        return self.ok + self.failed


@dataclass(frozen=True)
class Figure:
    value: int
    testid: str
    css: str = ""  # text-success, text-danger ...


@dataclass(frozen=True)
class Stat:
    """A number card: a label, one or more figures (shown as a / b) and a note under them."""

    label: str
    figures: tuple[Figure, ...]
    note: str = ""


@dataclass(frozen=True)
class DailyChart:
    """A stacked bar chart of the last DAYS days, and two columns of the daily table."""

    title: str
    ok_label: str
    failed_label: str
    ok_column: str
    failed_column: str
    ok_color: str
    failed_color: str
    testid: str
    days: list[DayCount]


def last_days(count: int = DAYS) -> list[tuple[date, datetime, datetime]]:
    """(local day, its start and end as naive UTC) for the last `count` days, today last."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    today = utcnow().replace(tzinfo=UTC).astimezone(zone).date()
    days = []
    for back in range(count - 1, -1, -1):
        day = today - timedelta(days=back)
        start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
        days.append((day, start, end))
    return days


def daily(column, ok_condition, failed_condition, where, days) -> list[DayCount]:
    """Rows per local day: those meeting `ok_condition` and those meeting `failed_condition`."""
    buckets = []
    for _day, start, end in days:
        in_day = and_(column >= start, column < end)
        buckets.append(func.coalesce(func.sum(case((and_(in_day, ok_condition), 1), else_=0)), 0))
        buckets.append(func.coalesce(func.sum(case((and_(in_day, failed_condition), 1), else_=0)), 0))
    query = select(*buckets).where(column >= days[0][1], column < days[-1][2], *where)
    row = db.session.execute(query).one()
    return [DayCount(day, int(row[2 * i]), int(row[2 * i + 1])) for i, (day, _s, _e) in enumerate(days)]


def totals(days: list[DayCount]) -> tuple[int, int]:
    """(ok, failed) over the days shown. Totals are those of a chart's window: counting a whole table (3 million
    alerts) on every page load costs 0.3-0.5 s of both cores."""
    return sum(day.ok for day in days), sum(day.failed for day in days)
