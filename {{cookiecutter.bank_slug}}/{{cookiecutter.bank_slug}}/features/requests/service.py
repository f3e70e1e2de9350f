"""The rules of branch-routed requests, for every kind: one open request per customer and kind, a reference
number, the legal status transitions (staff with a note, the customer withdraws or cancels), an outbox notice and
an audit entry with every change, in the same commit. Appointments add the slots: a booking takes a place only
through one conditional UPDATE (booked < capacity), never on a closed day or in the past, and schedules the
reminder the day before as an outbox row due then (cancelled with the booking, moved with a reschedule).

Every refusal is a RequestError naming the field; nothing is stored then."""

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ...admin import audit
from ...core_banking.ledger.models import LedgerAccount
from ...core_banking.models import Branch, Customer
from ...db import is_retryable
from ...extensions import db
from ...outbox.models import PENDING, Notice
from ...shared.errors import DomainError
from ...shared.i18n import _
from ...shared.masking import mask_name, mask_phone
from ...shared.money import AmountError, format_yuan, parse_yuan
from ...shared.timeutil import local_time, utcnow
from .models import (
    APPROVED,
    ARRIVED,
    BOOKED,
    CANCELLED,
    CONTACTED,
    DECLINED,
    IN_REVIEW,
    KIND_CARD,
    KIND_LOAN,
    NO_SHOW,
    RECEIVED,
    REFERENCE_PREFIX,
    WITHDRAWN,
    AppointmentSlot,
    BranchRequest,
    ClosedDay,
    RequestEvent,
    RequestProduct,
    SlotDay,
)
from .notify import SOURCE_REMINDER, reminder_row, status_row

__all__ = ["RequestError", "SlotFull", "apply_loan", "book_appointment", "bookable_days", "cancel_by_customer",
           "change_status", "customer_requests", "loan_products", "open_counts", "reschedule", "slots_on",
           "STAFF_TRANSITIONS"]

MAX_TERM_MONTHS = 360
MAX_NOTE = 200
BOOK_AHEAD_DAYS = 30
REMINDER_HOUR = 10  # the reminder goes out at 10:00 bank time the day before
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]\Z")
BRANCH_CODE = re.compile(r"[0-9A-Za-z]{1,16}\Z")  # branches/service.py's rule

# staff may move a request only along these; the customer withdraws (loan) or cancels (card) an open one
STAFF_TRANSITIONS = {
    RECEIVED: (CONTACTED, IN_REVIEW, DECLINED),
    CONTACTED: (IN_REVIEW, DECLINED),
    IN_REVIEW: (APPROVED, DECLINED),
    BOOKED: (ARRIVED, NO_SHOW),
}
OPEN = {KIND_LOAN: (RECEIVED, CONTACTED, IN_REVIEW), KIND_CARD: (BOOKED,)}
CUSTOMER_CLOSES = {KIND_LOAN: WITHDRAWN, KIND_CARD: CANCELLED}
CUSTOMER = "customer"


class RequestError(DomainError):
    """A refused request or change; `field` names the form field at fault."""

    code = "request_invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SlotFull(RequestError):
    code = "slot_full"


@dataclass(frozen=True)
class SlotChoice:
    slot: AppointmentSlot
    remaining: int


def bank_today(now: datetime | None = None) -> date:
    return local_time(now or utcnow()).date()


def _text(values: dict, field: str, label: str, limit: int, required: bool = True) -> str | None:
    text = " ".join(str(values.get(field) or "").split())
    if any(ord(ch) < 32 for ch in text):
        raise RequestError(field, _("%(field)s 含有不可见字符。", field=label))
    if not text:
        if required:
            raise RequestError(field, _("请填写%(field)s。", field=label))
        return None
    if len(text) > limit:
        raise RequestError(field, _("%(field)s 不能超过 %(n)d 个字符。", field=label, n=limit))
    return text


def branch_code_of(raw) -> str:
    """A branch code as typed, or "" when it cannot be one (never sent to the database: NUL breaks PostgreSQL)."""
    code = str(raw or "").strip()
    return code if BRANCH_CODE.match(code) else ""


def _open_branch(raw) -> Branch:
    code = branch_code_of(raw)
    branch = db.session.scalar(select(Branch).where(Branch.code == code, Branch.closed_at.is_(None))) \
        if code else None
    if branch is None:
        raise RequestError("branch", _("请选择营业中的网点。"))
    return branch


def loan_products() -> list[RequestProduct]:
    return list(db.session.scalars(select(RequestProduct).where(RequestProduct.active.is_(True))
                                   .order_by(RequestProduct.sort_order, RequestProduct.id)))


def _who(binding) -> tuple[str, str, str]:
    """(account id, masked name or card, masked phone) of a binding; the name from the built-in ledger when known."""
    if binding is None:
        return "", "", ""
    name = db.session.scalar(select(Customer.name).join(LedgerAccount, LedgerAccount.customer_id == Customer.id)
                             .where(LedgerAccount.account_id == binding.account_id))
    who = mask_name(name) if name else binding.card_mask
    return binding.account_id, who, mask_phone(binding.sms_phone) if binding.sms_phone else ""


def _event(request: BranchRequest, status: str, note: str | None, actor: str, now: datetime) -> RequestEvent:
    event = RequestEvent(request_id=request.id, status=status, note=note, actor=actor, at=now)
    db.session.add(event)
    db.session.flush()
    return event


def _values(request: BranchRequest) -> dict:
    return {"reference": request.reference, "kind": request.kind, "status": request.status,
            "branch_code": request.branch_code, "amount_fen": request.amount_fen, "day": str(request.day or ""),
            "slot_id": request.slot_id, "note": request.note}


def _store_new(request: BranchRequest, now: datetime) -> BranchRequest:
    """Insert the request (one open per customer and kind), its reference, first event and notice; on a
    double submission the open request already there is returned and nothing new is stored."""
    request.open_key = f"{request.openid}:{request.kind}"
    try:
        with db.session.begin_nested():
            db.session.add(request)
            db.session.flush()
    except IntegrityError:
        existing = db.session.scalar(select(BranchRequest).where(BranchRequest.open_key == request.open_key))
        if existing is None:
            raise
        return existing
    request.reference = f"{REFERENCE_PREFIX[request.kind]}{bank_today(now):%Y%m%d}{request.id:06d}"
    event = _event(request, request.status, None, CUSTOMER, now)
    db.session.add(Notice(**status_row(request, event)))
    audit.record("create", "branch_request", request.id, None, _values(request), staff=None,
                 actor_username=CUSTOMER, commit=False)
    return request


def open_request(openid: str, kind: str) -> BranchRequest | None:
    return db.session.scalar(select(BranchRequest).where(BranchRequest.open_key == f"{openid}:{kind}"))


# -- loans -----------------------------------------------------------------------------------------
def apply_loan(openid: str, binding, values: dict, now: datetime | None = None) -> BranchRequest:
    """Check the form and store the application; the caller commits."""
    now = now or utcnow()
    if binding is None:
        raise RequestError("binding", _("请先绑定本行银行卡再申请贷款。"))
    existing = open_request(openid, KIND_LOAN)
    if existing is not None:
        return existing
    product_id = str(values.get("product") or "")
    product = next((p for p in loan_products() if str(p.id) == product_id), None)
    if product is None:
        raise RequestError("product", _("请选择贷款产品。"))
    try:
        amount_fen = parse_yuan(values.get("amount"), _("贷款金额"))
    except AmountError as exc:
        raise RequestError("amount", exc.message) from None
    if not product.min_fen <= amount_fen <= product.max_fen:
        raise RequestError("amount", _("贷款金额须在 %(low)s 元到 %(high)s 元之间。",
                                       low=format_yuan(product.min_fen), high=format_yuan(product.max_fen)))
    term = str(values.get("term") or "").strip()
    limit = min(product.max_term_months, MAX_TERM_MONTHS)
    if not (term.isascii() and term.isdigit() and 1 <= int(term) <= limit):
        raise RequestError("term", _("贷款期限须为 1 到 %(n)d 个月的整数。", n=limit))
    purpose = _text(values, "purpose", _("贷款用途"), 100)
    contact_time = _text(values, "contact_time", _("方便联系的时间"), 40)
    branch = _open_branch(values.get("branch"))
    if str(values.get("consent") or "") not in ("1", "on", "yes", "true"):
        raise RequestError("consent", _("请勾选同意本行工作人员与您联系。"))
    account_id, who, phone = _who(binding)
    request = BranchRequest(kind=KIND_LOAN, openid=openid, binding_id=binding.id, account_id=account_id,
                            customer_masked=who, phone_masked=phone, branch_code=branch.code, status=RECEIVED,
                            product_id=product.id, amount_fen=amount_fen, term_months=int(term), purpose=purpose,
                            contact_time=contact_time, consent=True, created_at=now, updated_at=now)
    return _store_new(request, now)


# -- appointments ------------------------------------------------------------------------------------
def parse_day(raw, today: date) -> date:
    try:
        day = date.fromisoformat(str(raw or "").strip()[:10])
    except ValueError:
        raise RequestError("day", _("请选择预约日期（年-月-日）。")) from None
    if day <= today:
        raise RequestError("day", _("预约日期须在今天之后。"))
    if day > today + timedelta(days=BOOK_AHEAD_DAYS):
        raise RequestError("day", _("最多可预约 %(n)d 天内的日期。", n=BOOK_AHEAD_DAYS))
    return day


def is_closed(branch_code: str, day: date) -> bool:
    return db.session.scalar(select(ClosedDay.id).where(
        ClosedDay.day == day, (ClosedDay.branch_code == branch_code) | ClosedDay.branch_code.is_(None))) is not None


def slots_on(branch_code: str, day: date) -> list[SlotChoice]:
    """The branch's active slots on that day with the places left (none on a closed day)."""
    if is_closed(branch_code, day):
        return []
    slots = list(db.session.scalars(select(AppointmentSlot).where(
        AppointmentSlot.branch_code == branch_code, AppointmentSlot.weekday == day.weekday(),
        AppointmentSlot.active.is_(True)).order_by(AppointmentSlot.starts)))
    booked = dict(db.session.execute(select(SlotDay.slot_id, SlotDay.booked).where(
        SlotDay.day == day, SlotDay.slot_id.in_([s.id for s in slots]))).all()) if slots else {}
    return [SlotChoice(slot, max(slot.capacity - booked.get(slot.id, 0), 0)) for slot in slots]


def bookable_days(today: date, days: int = 14) -> list[date]:
    return [today + timedelta(days=n) for n in range(1, days + 1)]


def first_free_day(branch_code: str, today: date) -> date | None:
    """The first bookable day on which the branch has a slot with a place left (the form's default day, so a
    customer opening the form on a Saturday is not shown a closed Sunday first)."""
    for day in bookable_days(today):
        if any(choice.remaining > 0 for choice in slots_on(branch_code, day)):
            return day
    return None


def _slot_for(branch_code: str, day: date, raw) -> AppointmentSlot:
    raw = str(raw or "")
    if is_closed(branch_code, day):
        raise RequestError("day", _("该网点 %(day)s 不营业，请另选日期。", day=day.isoformat()))
    slot = next((c.slot for c in slots_on(branch_code, day) if str(c.slot.id) == raw), None)
    if slot is None:
        raise RequestError("slot", _("请选择该网点当天的预约时段。"))
    return slot


def _take_place(slot: AppointmentSlot, day: date) -> None:
    """One place of the slot on that day, or SlotFull: the counter rises only while below capacity."""
    exists = db.session.scalar(select(SlotDay.id).where(SlotDay.slot_id == slot.id, SlotDay.day == day))
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(SlotDay(slot_id=slot.id, day=day, booked=0))
                db.session.flush()
        except IntegrityError:
            pass  # a concurrent booking created it first
    taken = db.session.execute(update(SlotDay).where(
        SlotDay.slot_id == slot.id, SlotDay.day == day, SlotDay.booked < slot.capacity)
        .values(booked=SlotDay.booked + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise SlotFull("slot", _("该时段已约满，请选择其他时段。"))


def _free_place(request: BranchRequest) -> None:
    db.session.execute(update(SlotDay).where(SlotDay.slot_id == request.slot_id, SlotDay.day == request.day,
                                             SlotDay.booked > 0)
                       .values(booked=SlotDay.booked - 1).execution_options(synchronize_session=False))


def reminder_at(day: date, now: datetime) -> datetime:
    """When the day-before reminder is due (UTC, naive): 10:00 bank time the day before, or now if later."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = datetime.combine(day - timedelta(days=1), datetime.min.time().replace(hour=REMINDER_HOUR), zone)
    return max(local.astimezone(UTC).replace(tzinfo=None), now)


def _drop_reminder(request: BranchRequest) -> None:
    """The pending reminder of this booking goes (a sent one stays sent)."""
    db.session.execute(delete(Notice).where(Notice.source == SOURCE_REMINDER,
                                            Notice.source_txn_id.startswith(f"{request.id}:"),
                                            Notice.state == PENDING).execution_options(synchronize_session=False))


def _retrying(work):
    """Run a booking change and commit; SQLite's 'database is locked' under concurrent bookings is retried."""
    for attempt in range(6):
        try:
            result = work()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            if attempt == 5 or not is_retryable(exc):
                raise
            time.sleep(0.01 * (attempt + 1))
        except Exception:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


def book_appointment(openid: str, binding, values: dict, now: datetime | None = None) -> BranchRequest:
    """Check the form, take a place and store the appointment with its reminder; commits."""
    now = now or utcnow()

    def work():
        existing = open_request(openid, KIND_CARD)
        if existing is not None:
            return existing
        branch = _open_branch(values.get("branch"))
        day = parse_day(values.get("day"), bank_today(now))
        slot = _slot_for(branch.code, day, values.get("slot"))
        _take_place(slot, day)
        account_id, who, phone = _who(binding)
        request = BranchRequest(kind=KIND_CARD, openid=openid, binding_id=binding.id if binding else None,
                                account_id=account_id, customer_masked=who, phone_masked=phone,
                                branch_code=branch.code, status=BOOKED, slot_id=slot.id, day=day, created_at=now,
                                updated_at=now)
        stored = _store_new(request, now)
        if stored is not request:  # a double submission: give the place back
            _free_place(request)
            return stored
        event_id = db.session.scalar(select(RequestEvent.id).where(RequestEvent.request_id == request.id))
        db.session.add(Notice(**reminder_row(request, event_id, reminder_at(day, now))))
        return request

    return _retrying(work)


def reschedule(request: BranchRequest, values: dict, now: datetime | None = None) -> BranchRequest:
    """Move a booked appointment to another slot (same branch or another); commits."""
    now = now or utcnow()
    request_id = request.id

    def work():
        current = db.session.get(BranchRequest, request_id)
        if current.status != BOOKED:
            raise RequestError("status", _("该预约已结束，不能改期。"))
        branch = _open_branch(values.get("branch") or current.branch_code)
        day = parse_day(values.get("day"), bank_today(now))
        slot = _slot_for(branch.code, day, values.get("slot"))
        if slot.id == current.slot_id and day == current.day:
            raise RequestError("slot", _("新时段与原预约相同。"))
        _take_place(slot, day)
        _free_place(current)
        _drop_reminder(current)
        before = _values(current)
        current.branch_code, current.slot_id, current.day, current.updated_at = branch.code, slot.id, day, now
        event = _event(current, BOOKED, _("改期至 %(day)s %(start)s", day=day.isoformat(), start=slot.starts),
                       CUSTOMER, now)
        db.session.add(Notice(**status_row(current, event)))
        db.session.add(Notice(**reminder_row(current, event.id, reminder_at(day, now))))
        audit.record("reschedule", "branch_request", current.id, before, _values(current), staff=None,
                     actor_username=CUSTOMER, commit=False)
        return current

    return _retrying(work)


# -- status changes ---------------------------------------------------------------------------------------
def _close_or_move(request: BranchRequest, status: str, note: str | None, actor: str, now: datetime,
                   staff) -> RequestEvent:
    before = _values(request)
    request.status, request.updated_at = status, now
    if note is not None:
        request.note = note
    if status not in OPEN[request.kind]:
        request.open_key = None
    event = _event(request, status, note, actor, now)
    db.session.add(Notice(**status_row(request, event)))
    kwargs = {"staff": None, "actor_username": actor} if staff is None else {"staff": staff}
    audit.record("status", "branch_request", request.id, before, _values(request), commit=False, **kwargs)
    return event


def change_status(request: BranchRequest, status: str, note, staff, now: datetime | None = None) -> RequestEvent:
    """A staff change along STAFF_TRANSITIONS with a note; the caller commits."""
    if status not in STAFF_TRANSITIONS.get(request.status, ()):
        raise RequestError("status", _("当前状态不能改为该状态。"))
    note = _text({"note": note}, "note", _("备注"), MAX_NOTE, required=request.kind == KIND_LOAN)
    return _close_or_move(request, status, note, staff.username, now or utcnow(), staff)


def cancel_by_customer(request: BranchRequest, now: datetime | None = None) -> RequestEvent:
    """The customer withdraws an open application or cancels a booking (its place and reminder go); commits."""
    now = now or utcnow()
    if request.status not in OPEN[request.kind]:
        raise RequestError("status", _("该申请已结束，不能撤回或取消。"))
    if request.kind == KIND_CARD:
        _free_place(request)
        _drop_reminder(request)
    event = _close_or_move(request, CUSTOMER_CLOSES[request.kind], None, CUSTOMER, now, None)
    db.session.commit()
    return event


# -- what staff set up: slots and closed days --------------------------------------------------------------------
def add_slot(branch_code: str, values: dict) -> AppointmentSlot:
    """A weekly slot of the branch (audited); the caller commits."""
    branch = _open_branch(branch_code)
    weekday = str(values.get("weekday") or "")
    if not (weekday.isascii() and weekday.isdigit() and 0 <= int(weekday) <= 6):
        raise RequestError("weekday", _("星期须为 0（周一）到 6（周日）。"))
    starts, ends = (str(values.get(key) or "").strip() for key in ("starts", "ends"))
    if not TIME.match(starts):
        raise RequestError("starts", _("开始时间须为 HH:MM。"))
    if not TIME.match(ends) or ends <= starts:
        raise RequestError("ends", _("结束时间须为 HH:MM，且晚于开始时间。"))
    capacity = str(values.get("capacity") or "")
    if not (capacity.isascii() and capacity.isdigit() and 1 <= int(capacity) <= 200):
        raise RequestError("capacity", _("名额须为 1 到 200 的整数。"))
    slot = AppointmentSlot(branch_code=branch.code, weekday=int(weekday), starts=starts, ends=ends,
                           capacity=int(capacity), active=True)
    db.session.add(slot)
    db.session.flush()
    audit.record("create", "appointment_slot", slot.id, None, {"branch_code": slot.branch_code, "weekday": slot.weekday,
                 "starts": starts, "ends": ends, "capacity": slot.capacity}, commit=False)
    return slot


def set_slot_active(slot: AppointmentSlot, active: bool) -> None:
    """Stop (or resume) taking bookings in a slot; the bookings made stay. The caller commits."""
    before = {"active": slot.active}
    slot.active = active
    audit.record("update", "appointment_slot", slot.id, before, {"active": active}, commit=False)


def add_closed_day(branch_code: str | None, values: dict, today: date) -> ClosedDay:
    """A day a branch (None: every branch) takes no appointments; the caller commits."""
    if branch_code is not None:
        branch_code = _open_branch(branch_code).code
    try:
        day = date.fromisoformat(str(values.get("day") or "").strip()[:10])
    except ValueError:
        raise RequestError("day", _("请填写日期（年-月-日）。")) from None
    if day < today:
        raise RequestError("day", _("不能设置过去的日期。"))
    reason = _text(values, "reason", _("原因"), 60, required=False) or ""
    if db.session.scalar(select(ClosedDay.id).where(ClosedDay.day == day, ClosedDay.branch_code.is_(None)
                                                    if branch_code is None else ClosedDay.branch_code == branch_code)):
        raise RequestError("day", _("该日期已设为不营业。"))
    closed = ClosedDay(branch_code=branch_code, day=day, reason=reason)
    db.session.add(closed)
    db.session.flush()
    audit.record("create", "appointment_closed_day", closed.id, None,
                 {"branch_code": branch_code, "day": day.isoformat(), "reason": reason}, commit=False)
    return closed


def customer_requests(openid: str) -> list[BranchRequest]:
    return list(db.session.scalars(select(BranchRequest).where(BranchRequest.openid == openid)
                                   .order_by(BranchRequest.id.desc()).limit(20)))


def open_counts(branch_code: str | None) -> dict[str, int]:
    """Open requests per kind (the dashboard), in one branch or all."""
    counts = {}
    for kind, statuses in OPEN.items():
        query = select(db.func.count(BranchRequest.id)).where(BranchRequest.kind == kind,
                                                              BranchRequest.status.in_(statuses))
        if branch_code is not None:
            query = query.where(BranchRequest.branch_code == branch_code)
        counts[kind] = db.session.scalar(query) or 0
    return counts
