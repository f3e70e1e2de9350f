"""Per-transaction, per-day and count-per-day limits, counted per card from the order table.

A day is the calendar day in the bank's time zone (TIMEZONE); orders count from the moment the
right PIN sent them to the core (failed ones posted nothing and do not count).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ...extensions import db
from ...settings.sections import Transfers
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.money import format_yuan
from .models import COUNTED_STATUSES, TransferOrder


class LimitExceeded(DomainError):
    """The amount breaks a limit; the message says which (translated)."""

    code, message = "limit_exceeded", _l("超过转账限额")


@dataclass(frozen=True)
class TransferLimits:
    single_fen: int
    daily_fen: int
    daily_count: int

    @classmethod
    def of(cls, transfers: Transfers) -> "TransferLimits":
        return cls(transfers.single_limit_fen, transfers.daily_limit_fen, transfers.daily_count_limit)


@dataclass(frozen=True)
class DayUsage:
    count: int
    total_fen: int


def check_limits(limits: TransferLimits, amount_fen: int, used: DayUsage) -> None:
    """Raise LimitExceeded (the reason, translated) when this amount breaks a limit, given what today used."""
    if amount_fen > limits.single_fen:
        raise LimitExceeded(_("超过单笔转账限额 %(limit)s 元", limit=format_yuan(limits.single_fen)))
    if used.count + 1 > limits.daily_count:
        raise LimitExceeded(_("今日转账已达 %(count)s 笔上限，请明天再试", count=limits.daily_count))
    if used.total_fen + amount_fen > limits.daily_fen:
        left = max(limits.daily_fen - used.total_fen, 0)
        raise LimitExceeded(_("超过日累计转账限额 %(limit)s 元（今日剩余 %(left)s 元）",
                              limit=format_yuan(limits.daily_fen), left=format_yuan(left)))


def local_day_utc(now_utc: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the bank's calendar day containing `now_utc`, as naive UTC datetimes."""
    zone = ZoneInfo(timezone)
    local = now_utc.replace(tzinfo=UTC).astimezone(zone)
    start = datetime.combine(local.date(), time(), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))


def day_usage(account_id: str, now_utc: datetime, timezone: str, exclude_order_id: int | None = None) -> DayUsage:
    start, end = local_day_utc(now_utc, timezone)
    query = select(func.count(TransferOrder.id), func.coalesce(func.sum(TransferOrder.amount_fen), 0)).where(
        TransferOrder.from_account_id == account_id,
        TransferOrder.status.in_(COUNTED_STATUSES),
        TransferOrder.submitted_at >= start,
        TransferOrder.submitted_at < end,
    )
    if exclude_order_id is not None:
        query = query.where(TransferOrder.id != exclude_order_id)
    count, total = db.session.execute(query).one()
    return DayUsage(int(count), int(total))
