"""Transfer safety (docs/compliance.md, 转账安全): when a transfer arrives, new payees and the fraud rules.

* Arrival (PBOC 银发〔2016〕261号): 实时到账 at once; 普通到账 TRANSFER_NORMAL_ARRIVAL_MINUTES later (2 hours); 次日到账
  at TRANSFER_NEXT_DAY_RELEASE_HOUR the next day, bank time. A delayed transfer is held by the core until then.
* New payees: a payee this customer never paid before (no order of theirs to that number that sent money) is
  "new": the customer acknowledges an anti-fraud warning, and during the first NEW_PAYEE_HOURS after the first
  transfer to it at most NEW_PAYEE_LIMIT in total goes to it. 常用收款人 are the payees they paid before.
* Fraud rules (反电信网络诈骗法 arts. 15-18), evaluated after the PIN, before the core posts: a hit holds the
  transfer for review (staff call the customer, then release or refuse it).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.masking import mask_card, mask_name
from ...shared.money import format_yuan
from .limits import LimitExceeded
from .models import (
    ARRIVAL_NEXT_DAY,
    ARRIVAL_NORMAL,
    ARRIVAL_REALTIME,
    COUNTED_STATUSES,
    PENDING_SETTLEMENT,
    POSTED,
    TransferOrder,
    TransferPreference,
    payee_key,
)

ARRIVALS = (ARRIVAL_REALTIME, ARRIVAL_NORMAL, ARRIVAL_NEXT_DAY)
ARRIVAL_LABELS = {ARRIVAL_REALTIME: _l("实时到账"), ARRIVAL_NORMAL: _l("普通到账"), ARRIVAL_NEXT_DAY: _l("次日到账")}

RULE_NEW_PAYEES = "new_payees_burst"
RULE_NIGHT = "night_large_amount"
RULE_NEW_BINDING = "after_new_binding"
RULE_LABELS = {
    RULE_NEW_PAYEES: _l("短时间内向多个新收款人转账"),
    RULE_NIGHT: _l("夜间大额转账"),
    RULE_NEW_BINDING: _l("新绑卡后随即大额转账"),
}
RECENT_PAYEES = 5


@dataclass(frozen=True)
class Safety:
    normal_minutes: int
    next_day_hour: int
    new_payee_limit_fen: int
    new_payee_hours: int
    new_payees_count: int
    new_payees_minutes: int
    night_start_hour: int
    night_end_hour: int
    night_amount_fen: int
    new_binding_hours: int
    new_binding_amount_fen: int
    timezone: str

    @classmethod
    def from_config(cls, config) -> "Safety":
        return cls(*(int(config[key]) for key in (
            "TRANSFER_NORMAL_ARRIVAL_MINUTES", "TRANSFER_NEXT_DAY_RELEASE_HOUR", "NEW_PAYEE_LIMIT_FEN",
            "NEW_PAYEE_HOURS", "FRAUD_NEW_PAYEES_COUNT", "FRAUD_NEW_PAYEES_MINUTES", "FRAUD_NIGHT_START_HOUR",
            "FRAUD_NIGHT_END_HOUR", "FRAUD_NIGHT_AMOUNT_FEN", "FRAUD_NEW_BINDING_HOURS",
            "FRAUD_NEW_BINDING_AMOUNT_FEN")), str(config["TIMEZONE"]))


def current() -> Safety:
    return Safety.from_config(current_app.config)


def check_config(app) -> None:
    """At start-up (Feature.setup): the keys are there and whole numbers (load_config checked their ranges)."""
    Safety.from_config(app.config)


# --- arrival -------------------------------------------------------------------------------------

def _local(now_utc: datetime, timezone: str) -> datetime:
    return now_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))


def release_time(arrival: str, now_utc: datetime, safety: Safety) -> datetime | None:
    """When a transfer sent now with this arrival is released (naive UTC); None for 实时到账."""
    if arrival == ARRIVAL_NORMAL:
        return now_utc + timedelta(minutes=safety.normal_minutes)
    if arrival == ARRIVAL_NEXT_DAY:
        zone = ZoneInfo(safety.timezone)
        tomorrow = _local(now_utc, safety.timezone).date() + timedelta(days=1)
        release = datetime.combine(tomorrow, time(safety.next_day_hour), tzinfo=zone)
        return release.astimezone(UTC).replace(tzinfo=None)
    return None


def local_time_text(moment: datetime, timezone: str) -> str:
    return f"{_local(moment, timezone):%m-%d %H:%M}"


def default_arrival(openid: str) -> str:
    chosen = db.session.scalar(select(TransferPreference.default_arrival).where(TransferPreference.openid == openid))
    return chosen if chosen in ARRIVALS else ARRIVAL_REALTIME


def set_default_arrival(openid: str, arrival: str) -> TransferPreference:
    """In the caller's session (not committed)."""
    preference = db.session.scalar(select(TransferPreference).where(TransferPreference.openid == openid))
    if preference is None:
        preference = TransferPreference(openid=openid)
        db.session.add(preference)
    preference.default_arrival = arrival
    return preference


# --- payees --------------------------------------------------------------------------------------

def _to_payee(openid: str, payee_number: str, exclude_order_id: int | None):
    where = [TransferOrder.openid == openid, TransferOrder.payee_hash == payee_key(payee_number),
             TransferOrder.status.in_(COUNTED_STATUSES)]
    if exclude_order_id is not None:
        where.append(TransferOrder.id != exclude_order_id)
    return where


def is_new_payee(openid: str, payee_number: str, exclude_order_id: int | None = None) -> bool:
    """Never paid before: no order of this customer's to this number sent money (failed, revoked and refused
    ones did not)."""
    return db.session.scalar(select(func.count(TransferOrder.id)).where(
        *_to_payee(openid, payee_number, exclude_order_id))) == 0


def check_new_payee_limit(openid: str, payee_number: str, amount_fen: int, now: datetime, safety: Safety,
                          exclude_order_id: int | None = None) -> None:
    """LimitExceeded when, within NEW_PAYEE_HOURS of the first transfer to this payee, the total would pass
    NEW_PAYEE_LIMIT (counting the orders sent, claimed ones included: two racing orders never pass it together)."""
    where = _to_payee(openid, payee_number, exclude_order_id)
    first = db.session.scalar(select(func.min(TransferOrder.submitted_at)).where(*where))
    window = timedelta(hours=safety.new_payee_hours)
    if first is not None and now - first >= window:
        return
    used = db.session.scalar(select(func.coalesce(func.sum(TransferOrder.amount_fen), 0)).where(
        *where, TransferOrder.submitted_at >= now - window)) or 0
    if used + amount_fen > safety.new_payee_limit_fen:
        left = max(safety.new_payee_limit_fen - used, 0)
        raise LimitExceeded(_("向新收款人转账，首次转账后 %(hours)s 小时内累计不超过 %(limit)s 元（剩余 %(left)s 元）",
                              hours=safety.new_payee_hours, limit=format_yuan(safety.new_payee_limit_fen),
                              left=format_yuan(left)))


@dataclass(frozen=True)
class RecentPayee:
    order_id: int  # the latest order to the payee: the form sends this, never the number
    name_masked: str
    number_masked: str
    bank: str


def recent_payees(openid: str, limit: int = RECENT_PAYEES) -> list[RecentPayee]:
    """常用收款人: the payees this customer's transfers reached, the latest first."""
    latest = (select(func.max(TransferOrder.id).label("id"))
              .where(TransferOrder.openid == openid, TransferOrder.status.in_((POSTED, PENDING_SETTLEMENT)))
              .group_by(TransferOrder.payee_hash, TransferOrder.payee_bank).subquery())
    orders = db.session.execute(select(TransferOrder).join(latest, latest.c.id == TransferOrder.id)
                                .order_by(TransferOrder.id.desc()).limit(limit)).scalars()
    return [RecentPayee(order.id, mask_name(order.payee_name), mask_card(order.payee_number), order.payee_bank)
            for order in orders]


def recent_payee_order(openid: str, order_id: str) -> TransferOrder | None:
    """The customer's own earlier order the form's 常用收款人 names, if its transfer reached the payee."""
    if not order_id.isdigit() or len(order_id) > 10:
        return None
    order = db.session.get(TransferOrder, int(order_id))
    if order is None or order.openid != openid or order.status not in (POSTED, PENDING_SETTLEMENT):
        return None
    return order


# --- fraud rules ---------------------------------------------------------------------------------

def _is_night(now_utc: datetime, safety: Safety) -> bool:
    hour = _local(now_utc, safety.timezone).hour
    start, end = safety.night_start_hour, safety.night_end_hour
    return start <= hour or hour < end if start > end else start <= hour < end


def fraud_hits(order: TransferOrder, bound_at: datetime | None, now: datetime, safety: Safety) -> list[str]:
    """The rules this order breaks (codes of RULE_LABELS), checked once the PIN was right."""
    hits = []
    if order.new_payee:
        since = now - timedelta(minutes=safety.new_payees_minutes)
        others = db.session.scalar(select(func.count(func.distinct(TransferOrder.payee_hash))).where(
            TransferOrder.openid == order.openid, TransferOrder.id != order.id, TransferOrder.new_payee.is_(True),
            TransferOrder.submitted_at >= since, TransferOrder.payee_hash != order.payee_hash))
        if others + 1 >= safety.new_payees_count:
            hits.append(RULE_NEW_PAYEES)
    if order.amount_fen >= safety.night_amount_fen and _is_night(now, safety):
        hits.append(RULE_NIGHT)
    if bound_at is not None and order.amount_fen >= safety.new_binding_amount_fen \
            and now - bound_at < timedelta(hours=safety.new_binding_hours):
        hits.append(RULE_NEW_BINDING)
    return hits


def rule_labels(codes: str | None) -> str:
    return "、".join(str(RULE_LABELS.get(code, code)) for code in (codes or "").split(",") if code)
