"""Per-transaction, per-day and count-per-day limits, counted per card from the order table; and the day's
total per customer (one WeChat user, all their cards: two cards do not give twice the limit), with the
customer's own lower limits (CustomerLimit) when they set them.

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
from .models import COUNTED_STATUSES, CustomerLimit, TransferOrder


class LimitExceeded(DomainError):
    """The amount breaks a limit; the message says which (translated)."""

    code, message = "limit_exceeded", _l("超过转账限额")


@dataclass(frozen=True)
class TransferLimits:
    single_fen: int
    daily_fen: int  # per card
    daily_count: int  # per card
    customer_daily_fen: int | None = None  # all the customer's cards (None: not counted)

    @classmethod
    def of(cls, transfers: Transfers) -> "TransferLimits":
        return cls(transfers.single_limit_fen, transfers.daily_limit_fen, transfers.daily_count_limit,
                   transfers.customer_daily_limit_fen)

    @classmethod
    def for_customer(cls, transfers: Transfers, openid: str) -> "TransferLimits":
        """The bank's limits, lowered by the customer's own where they set them."""
        bank = cls.of(transfers)
        own = customer_limit(openid)
        if own is None:
            return bank
        return cls(min(bank.single_fen, own.single_fen), bank.daily_fen, bank.daily_count,
                   min(bank.customer_daily_fen, own.daily_fen))


@dataclass(frozen=True)
class DayUsage:
    count: int
    total_fen: int


def check_limits(limits: TransferLimits, amount_fen: int, used: DayUsage,
                 customer_used: DayUsage | None = None) -> None:
    """Raise LimitExceeded (the reason, translated) when this amount breaks a limit, given what today used on the
    card and (`customer_used`) on all the customer's cards."""
    if amount_fen > limits.single_fen:
        raise LimitExceeded(_("超过单笔转账限额 %(limit)s 元", limit=format_yuan(limits.single_fen)))
    if used.count + 1 > limits.daily_count:
        raise LimitExceeded(_("今日转账已达 %(count)s 笔上限，请明天再试", count=limits.daily_count))
    if used.total_fen + amount_fen > limits.daily_fen:
        left = max(limits.daily_fen - used.total_fen, 0)
        raise LimitExceeded(_("超过日累计转账限额 %(limit)s 元（今日剩余 %(left)s 元）",
                              limit=format_yuan(limits.daily_fen), left=format_yuan(left)))
    if customer_used is not None and limits.customer_daily_fen is not None \
            and customer_used.total_fen + amount_fen > limits.customer_daily_fen:
        left = max(limits.customer_daily_fen - customer_used.total_fen, 0)
        raise LimitExceeded(_("超过您所有银行卡合计的日转账限额 %(limit)s 元（今日剩余 %(left)s 元）",
                              limit=format_yuan(limits.customer_daily_fen), left=format_yuan(left)))


def local_day_utc(now_utc: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the bank's calendar day containing `now_utc`, as naive UTC datetimes."""
    zone = ZoneInfo(timezone)
    local = now_utc.replace(tzinfo=UTC).astimezone(zone)
    start = datetime.combine(local.date(), time(), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))


def day_usage(account_id: str, now_utc: datetime, timezone: str, exclude_order_id: int | None = None, *,
              openid: str | None = None) -> DayUsage:
    """What the day used on the card `account_id`, or (with `openid`, account_id None) on all the customer's."""
    start, end = local_day_utc(now_utc, timezone)
    whose = TransferOrder.openid == openid if openid is not None else TransferOrder.from_account_id == account_id
    query = select(func.count(TransferOrder.id), func.coalesce(func.sum(TransferOrder.amount_fen), 0)).where(
        whose,
        TransferOrder.status.in_(COUNTED_STATUSES),
        TransferOrder.submitted_at >= start,
        TransferOrder.submitted_at < end,
    )
    if exclude_order_id is not None:
        query = query.where(TransferOrder.id != exclude_order_id)
    count, total = db.session.execute(query).one()
    return DayUsage(int(count), int(total))


CUSTOMER = "customer"  # CustomerLimit.updated_by when the customer set it


def lower_limits(openid: str, single_fen: int, daily_fen: int, transfers: Transfers) -> CustomerLimit:
    """The customer's new limits; LimitExceeded with the reason when one is above what they have now (raising is a
    branch's act) or the single limit is above the daily one. Saved in the caller's session, not committed."""
    current = TransferLimits.for_customer(transfers, openid)
    if single_fen > current.single_fen:
        raise LimitExceeded(_("单笔限额只能调低（现为 %(limit)s 元）；调高请本人携带身份证件到网点办理",
                              limit=format_yuan(current.single_fen)))
    if daily_fen > current.customer_daily_fen:
        raise LimitExceeded(_("日累计限额只能调低（现为 %(limit)s 元）；调高请本人携带身份证件到网点办理",
                              limit=format_yuan(current.customer_daily_fen)))
    if single_fen > daily_fen:
        raise LimitExceeded(_("单笔限额不能高于日累计限额"))
    own = customer_limit(openid)
    if own is None:
        own = CustomerLimit(openid=openid)
        db.session.add(own)
    own.single_fen, own.daily_fen, own.updated_by = single_fen, daily_fen, CUSTOMER
    return own


def customer_limit(openid: str) -> CustomerLimit | None:
    return db.session.execute(select(CustomerLimit).where(CustomerLimit.openid == openid)).scalar_one_or_none()
