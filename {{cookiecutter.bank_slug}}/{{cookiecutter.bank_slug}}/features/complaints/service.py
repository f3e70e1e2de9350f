"""The rules of complaints (投诉), after 《银行业保险业消费投诉处理管理办法》 (in force since 2020-03-01).

- A complaint is decided and the customer told within 15 days of its acceptance; a complex case may be extended
  to 30 days (with a reason), and to at most 60 with a head-office admin's approval (the approver is recorded).
  Never beyond 60; an extension is made before the period runs out, and the customer is told of it.
- Head office assigns each complaint to a branch; branch staff handle only their branch's complaints.
- Staff replies and the decision go to the customer through the outbox (notify.py), in the same commit as the
  step; so does the immediate acknowledgement with the ticket number and the deadline.
- The customer rates the decision (1..5), or reopens the complaint once (a new 15-day period).
- Every step is an event of the thread and a row of the admin audit log, in the same commit; a refusal stores
  nothing. A double submit of the form (same idempotency key) finds the first complaint.

The clock is `utcnow` of this module (tests replace it); days are the bank's local days (TIMEZONE).
"""

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ...admin import audit
from ...admin.models import ROLE_HEAD_OFFICE
from ...core_banking.current import get_core
from ...core_banking.models import Branch
from ...core_banking.port import CoreBankingError, Transaction
from ...extensions import db
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import card_tail, mask_openid, scrub
from ...shared.money import format_yuan
from ...shared.timeutil import utcnow
from ..alerts.service import kind_label
from ..binding.service import active_bindings
from . import notify
from .models import (
    ASSIGN,
    ASSIGNED,
    CLOSED,
    CUSTOMER,
    DECIDED,
    DECISION,
    EXTEND,
    FILED,
    OPEN_STATUSES,
    RATING,
    RECEIVED,
    REOPEN,
    REOPENED,
    REPLY,
    STAFF,
    Complaint,
    ComplaintEvent,
)

__all__ = ["Complaint", "open_counts"]

CATEGORIES = {  # code -> label: the fixed list the form offers and the monthly report counts by
    "service": _l("服务态度与质量"),
    "fees": _l("收费与价格"),
    "account": _l("账户与银行卡"),
    "transfer": _l("转账汇款"),
    "deposit": _l("存款与理财产品"),
    "loan": _l("贷款"),
    "online": _l("微信与网上银行"),
    "privacy": _l("个人信息保护"),
    "other": _l("其他"),
}
CONTACT_CHANNELS = {"wechat": _l("微信回复"), "phone": _l("电话联系（预留手机号）")}
CONTACT_TIMES = {"any": _l("任意时间"), "morning": _l("上午 9:00-12:00"), "afternoon": _l("下午 14:00-17:30"),
                 "evening": _l("傍晚 17:30-20:00")}
STATUS_LABELS = {RECEIVED: _l("已受理，待分派"), ASSIGNED: _l("处理中"), DECIDED: _l("已答复"),
                 REOPENED: _l("重新处理中"), CLOSED: _l("已办结")}

BASE_DAYS, COMPLEX_DAYS, MAX_DAYS = 15, 30, 60
EXTENSIONS = (COMPLEX_DAYS, MAX_DAYS)
DESCRIPTION_MAX = 1000  # characters
TEXT_MAX = 1000  # a staff reply or decision, a reopening reason
REASON_MIN, REASON_MAX = 4, 200  # an extension's reason
COMMENT_MAX = 200  # the customer's comment with a rating
TRANSACTION_CHOICE_MAX = 100
RECENT_TRANSACTIONS = 10  # per card: the ones the form offers
IDEMPOTENCY_KEY = re.compile(r"[0-9a-f]{32}")
TICKET = re.compile(r"TS[0-9]{8}[0-9]{4,10}")


class ComplaintRefused(DomainError):
    """A form value is wrong: `field` names it."""

    code = "complaint_refused"
    message = _l("投诉信息有误，请检查后重新提交")

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ComplaintNotFound(DomainError):
    code = "complaint_not_found"
    message = _l("未找到该投诉")


class ComplaintStateRefused(DomainError):
    """The step does not fit the complaint's state (already decided, reopened once, period over, ...)."""

    code = "complaint_state"
    message = _l("该投诉当前状态不允许此操作")


# -- the clock --------------------------------------------------------------------------------------------------
def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def now() -> datetime:
    """The service's clock (naive UTC); tests replace `utcnow` of this module."""
    return utcnow()


def local_date(moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(_zone()).date()


def today() -> date:
    return local_date(now())


def deadline(complaint: Complaint) -> date:
    """The last local day of the current handling period."""
    return complaint.clock_start + timedelta(days=complaint.limit_days)


def days_left(complaint: Complaint, on: date | None = None) -> int:
    """Days until the deadline (0 on the day itself, negative when overdue)."""
    return (deadline(complaint) - (on or today())).days


def is_overdue(complaint: Complaint, on: date | None = None) -> bool:
    return complaint.status in OPEN_STATUSES and days_left(complaint, on) < 0


# -- the form ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComplaintInput:
    category: str
    description: str
    transaction: str  # "<binding id>:<transaction id>" or ""
    contact_channel: str
    contact_time: str
    idempotency_key: str

    @classmethod
    def from_form(cls, form) -> "ComplaintInput":
        def value(name: str) -> str:
            raw = form.get(name)
            return raw if isinstance(raw, str) else ""

        return cls(value("category").strip(), value("description").strip(), value("transaction").strip(),
                   value("contact_channel").strip() or "wechat", value("contact_time").strip() or "any",
                   value("idempotency_key").strip())


def new_idempotency_key() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class TransactionChoice:
    """One of the customer's recent transactions, as the form offers it."""

    value: str  # "<binding id>:<transaction id>"
    account_id: str
    transaction_id: str
    summary: str  # masked


def _summary(card_mask: str, transaction: Transaction) -> str:
    fen = transaction.amount_fen
    sign = "+" if fen > 0 else "-" if fen < 0 else ""
    when = transaction.occurred_at.replace(tzinfo=UTC).astimezone(_zone())
    return _("%(date)s %(kind)s %(sign)s%(amount)s 元（尾号 %(tail)s）", date=f"{when:%Y-%m-%d %H:%M}",
             kind=kind_label(transaction.kind, fen), sign=sign, amount=format_yuan(abs(fen)),
             tail=card_tail(card_mask))[:120]


def recent_transactions(openid: str) -> list[TransactionChoice]:
    """The recent transactions of the customer's bound cards (the core's answer; [] when it cannot answer)."""
    choices = []
    core = get_core()
    for binding in active_bindings(openid):
        try:
            transactions = core.recent_transactions(binding.account_id, limit=RECENT_TRANSACTIONS)
        except CoreBankingError:
            continue
        for transaction in transactions[:RECENT_TRANSACTIONS]:
            choices.append(TransactionChoice(f"{binding.id}:{transaction.transaction_id}", binding.account_id,
                                             transaction.transaction_id, _summary(binding.card_mask, transaction)))
    return choices


def _checked_transaction(openid: str, value: str) -> TransactionChoice | None:
    if not value:
        return None
    refused = ComplaintRefused("transaction", _("所选交易不是您名下银行卡的近期交易，请重新选择。"))
    if len(value) > TRANSACTION_CHOICE_MAX or ":" not in value:
        raise refused
    choice = next((c for c in recent_transactions(openid) if c.value == value), None)
    if choice is None:
        raise refused
    return choice


def _validate(data: ComplaintInput) -> None:
    if data.category not in CATEGORIES:
        raise ComplaintRefused("category", _("请从列表中选择投诉类别。"))
    if not data.description:
        raise ComplaintRefused("description", _("请填写投诉内容（问题描述）。"))
    if len(data.description) > DESCRIPTION_MAX:
        raise ComplaintRefused("description", _("投诉内容不能超过 %(n)d 字，当前 %(len)d 字。", n=DESCRIPTION_MAX,
                                                len=len(data.description)))
    if data.contact_channel not in CONTACT_CHANNELS:
        raise ComplaintRefused("contact_channel", _("请选择联系方式：微信或电话。"))
    if data.contact_time not in CONTACT_TIMES:
        raise ComplaintRefused("contact_time", _("请从列表中选择方便联系的时间。"))
    if not IDEMPOTENCY_KEY.fullmatch(data.idempotency_key):
        raise ComplaintRefused("idempotency_key", _("页面已过期，请重新打开投诉页面提交。"))


def _event(complaint: Complaint, kind: str, body: str, *, staff=None) -> ComplaintEvent:
    event = ComplaintEvent(complaint_id=complaint.id, at=now(), kind=kind, author=STAFF if staff else CUSTOMER,
                           staff_username=staff.username if staff else None, body=body)
    db.session.add(event)
    db.session.flush()
    return event


AUDITED = ("ticket_no", "status", "category", "branch_id", "clock_start", "limit_days", "extension_reason",
           "extended_by", "approved_by", "rating", "reopen_count")


def _values(complaint: Complaint) -> dict:
    return {name: getattr(complaint, name) for name in AUDITED}


def _audit(action: str, complaint: Complaint, before: dict | None, *, staff=None, extra: dict | None = None) -> None:
    after = _values(complaint) | (extra or {})
    if staff is None:
        audit.record(action, "complaint", complaint.id, before, after, staff=None,
                     actor_username=f"customer {mask_openid(complaint.openid)}", commit=False)
    else:
        audit.record(action, "complaint", complaint.id, before, after, staff=staff, commit=False)


def _step(complaint: Complaint, kind: str, body: str, action: str, before: dict | None, *, staff=None,
          extra: dict | None = None) -> ComplaintEvent:
    """The thread entry, its notice (a staff step) or acknowledgement, and the audit row, then one commit."""
    complaint.updated_at = now()
    event = _event(complaint, kind, body, staff=staff)
    if kind in notify.NOTIFIED:
        notify.add(complaint, event, deadline(complaint))
    _audit(action, complaint, before, staff=staff, extra=extra)
    db.session.commit()
    return event


def file_complaint(openid: str, data: ComplaintInput) -> Complaint:
    """Store the complaint, its acknowledgement and audit row in one commit; the first one for a repeated key."""
    _validate(data)
    existing = db.session.scalar(select(Complaint).where(Complaint.idempotency_key == data.idempotency_key))
    if existing is not None:
        if existing.openid != openid:
            raise ComplaintRefused("idempotency_key", _("页面已过期，请重新打开投诉页面提交。"))
        return existing
    choice = _checked_transaction(openid, data.transaction)
    moment = now()
    complaint = Complaint(
        idempotency_key=data.idempotency_key, openid=openid, category=data.category,
        description=scrub(data.description), transaction_id=choice.transaction_id if choice else None,
        transaction_summary=choice.summary if choice else None, account_id=choice.account_id if choice else None,
        contact_channel=data.contact_channel, contact_time=data.contact_time, status=RECEIVED,
        clock_start=local_date(moment), limit_days=BASE_DAYS, reopen_count=0, created_at=moment, updated_at=moment)
    try:
        db.session.add(complaint)
        db.session.flush()
        complaint.ticket_no = f"TS{local_date(moment):%Y%m%d}{complaint.id:04d}"
        _step(complaint, FILED, complaint.description, "complaint_file", None)
    except IntegrityError:  # the same key submitted twice at once: the other request stored it
        db.session.rollback()
        existing = db.session.scalar(select(Complaint).where(Complaint.idempotency_key == data.idempotency_key,
                                                             Complaint.openid == openid))
        if existing is None:
            raise
        return existing
    return complaint


# -- the customer's ---------------------------------------------------------------------------------------------
def customer_complaints(openid: str) -> list[Complaint]:
    return list(db.session.scalars(select(Complaint).where(Complaint.openid == openid)
                                   .order_by(Complaint.id.desc()).limit(50)))


def customer_complaint(openid: str, ticket_no: str) -> Complaint:
    complaint = None
    if ticket_no and TICKET.fullmatch(ticket_no):
        complaint = db.session.scalar(select(Complaint).where(Complaint.ticket_no == ticket_no,
                                                              Complaint.openid == openid))
    if complaint is None:
        raise ComplaintNotFound()
    return complaint


def _conditional(complaint: Complaint, condition, **values) -> bool:
    """Change the row only if `condition` still holds (two tabs, two workers: one wins)."""
    changed = db.session.execute(update(Complaint).where(Complaint.id == complaint.id, condition)
                                 .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed:
        db.session.refresh(complaint)
    return bool(changed)


def rate(openid: str, ticket_no: str, rating, comment: str = "") -> Complaint:
    complaint = customer_complaint(openid, ticket_no)
    text = str(rating or "").strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 5):
        raise ComplaintRefused("rating", _("请选择 1 到 5 星的评价。"))
    comment = " ".join((comment or "").split())
    if len(comment) > COMMENT_MAX:
        raise ComplaintRefused("comment", _("评价说明不能超过 %(n)d 字。", n=COMMENT_MAX))
    before = _values(complaint)
    if not _conditional(complaint, Complaint.status == DECIDED, status=CLOSED, rating=int(text)):
        db.session.rollback()
        raise ComplaintStateRefused(_("该投诉尚未答复或已评价，无法评价。"))
    _step(complaint, RATING, _("评价 %(n)d 星", n=int(text)) + (f"：{scrub(comment)}" if comment else ""),
          "complaint_rate", before)
    return complaint


def reopen(openid: str, ticket_no: str, reason: str) -> Complaint:
    complaint = customer_complaint(openid, ticket_no)
    reason = (reason or "").strip()
    if not reason:
        raise ComplaintRefused("reason", _("请说明对处理结果不满意的原因。"))
    if len(reason) > TEXT_MAX:
        raise ComplaintRefused("reason", _("原因说明不能超过 %(n)d 字。", n=TEXT_MAX))
    before = _values(complaint)
    start = today()
    if not _conditional(complaint, Complaint.status.in_((DECIDED, CLOSED)) & (Complaint.reopen_count == 0),
                        status=REOPENED, reopen_count=1, clock_start=start, limit_days=BASE_DAYS,
                        extension_reason=None, extended_by=None, approved_by=None, decided_at=None, rating=None):
        db.session.rollback()
        raise ComplaintStateRefused(_("每件投诉只能重新提起一次；未答复的投诉正在处理中。"))
    _step(complaint, REOPEN, scrub(reason), "complaint_reopen", before)
    return complaint


# -- the staff's ------------------------------------------------------------------------------------------------
def is_senior(staff) -> bool:
    return staff is not None and staff.role == ROLE_HEAD_OFFICE


def staff_complaint(staff, complaint_id) -> Complaint:
    """The complaint if this staff member may see it (head office: all; a branch: its own); else not found."""
    text = str(complaint_id or "").strip()
    complaint = db.session.get(Complaint, int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else None
    if complaint is None or (not is_senior(staff) and (staff is None or complaint.branch_id is None
                                                        or complaint.branch_id != staff.branch_id)):
        raise ComplaintNotFound()
    return complaint


def _staff_text(value: str, field: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ComplaintRefused(field, _("请填写%(what)s。", what=what))
    if len(text) > TEXT_MAX:
        raise ComplaintRefused(field, _("%(what)s不能超过 %(n)d 字。", what=what, n=TEXT_MAX))
    return scrub(text)


def assign(staff, complaint: Complaint, branch_id) -> Complaint:
    if not is_senior(staff):
        raise ComplaintStateRefused(_("只有总行管理员可以分派投诉。"))
    text = str(branch_id or "").strip()
    branch = db.session.get(Branch, int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else None
    if branch is None or branch.closed_at is not None:
        raise ComplaintRefused("branch_id", _("请选择一个营业中的网点。"))
    if complaint.status not in OPEN_STATUSES:
        raise ComplaintStateRefused(_("该投诉已答复，无需分派。"))
    before = _values(complaint)
    complaint.branch_id = branch.id
    if complaint.status == RECEIVED:
        complaint.status = ASSIGNED
    _step(complaint, ASSIGN, _("已转交%(branch)s处理。", branch=branch.name), "complaint_assign", before, staff=staff)
    return complaint


def reply(staff, complaint: Complaint, body: str) -> Complaint:
    text = _staff_text(body, "body", _("回复内容"))
    if complaint.status not in OPEN_STATUSES:
        raise ComplaintStateRefused(_("该投诉已答复；客户重新提起后才能继续回复。"))
    before = _values(complaint)
    _step(complaint, REPLY, text, "complaint_reply", before, staff=staff)
    return complaint


def decide(staff, complaint: Complaint, body: str) -> Complaint:
    text = _staff_text(body, "body", _("处理决定"))
    if complaint.status not in OPEN_STATUSES:
        raise ComplaintStateRefused(_("该投诉已答复，不能重复作出决定。"))
    before = _values(complaint)
    complaint.status = DECIDED
    complaint.decided_at = now()
    _step(complaint, DECISION, text, "complaint_decide", before, staff=staff,
          extra={"on_time": days_left(complaint) >= 0})
    return complaint


def extend(staff, complaint: Complaint, days, reason: str) -> Complaint:
    """To 30 days (a complex case, with a reason), or to 60 by a head-office admin (the approver); never beyond."""
    text = str(days or "").strip()
    wanted = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else None
    if wanted is None or wanted > MAX_DAYS:
        raise ComplaintRefused("days", _("处理期限最长 %(n)d 日，不能再延长。", n=MAX_DAYS))
    if wanted not in EXTENSIONS:
        raise ComplaintRefused("days", _("延期只能延至 %(a)d 日或 %(b)d 日。", a=COMPLEX_DAYS, b=MAX_DAYS))
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN:
        raise ComplaintRefused("reason", _("请填写延期原因（至少 %(n)d 个字）。", n=REASON_MIN))
    if len(reason) > REASON_MAX:
        raise ComplaintRefused("reason", _("延期原因不能超过 %(n)d 个字。", n=REASON_MAX))
    if complaint.status not in OPEN_STATUSES:
        raise ComplaintStateRefused(_("该投诉已答复，无需延期。"))
    if wanted <= complaint.limit_days:
        raise ComplaintRefused("days", _("处理期限已是 %(n)d 日。", n=complaint.limit_days)
                               if complaint.limit_days < MAX_DAYS else
                               _("处理期限最长 %(n)d 日，不能再延长。", n=MAX_DAYS))
    if wanted == MAX_DAYS and not is_senior(staff):
        raise ComplaintStateRefused(_("延期至 %(n)d 日须经总行管理员审批。", n=MAX_DAYS))
    if days_left(complaint) < 0:
        raise ComplaintStateRefused(_("原处理期限已过，不能再延期；请尽快作出处理决定。"))
    before = _values(complaint)
    complaint.limit_days = wanted
    complaint.extension_reason = scrub(reason)
    complaint.extended_by = staff.username
    if wanted == MAX_DAYS:
        complaint.approved_by = staff.username
    body = _("因情况复杂，处理期限延长至 %(n)d 日（%(date)s 前）：%(reason)s", n=wanted,
             date=f"{deadline(complaint):%Y-%m-%d}", reason=complaint.extension_reason)
    _step(complaint, EXTEND, body, "complaint_extend", before, staff=staff)
    return complaint


# -- counts and the monthly report ------------------------------------------------------------------------------
def open_counts(branch_id: int | None) -> tuple[int, int]:
    """(open, overdue) complaints of a branch (None: all)."""
    query = select(Complaint).where(Complaint.status.in_(OPEN_STATUSES))
    if branch_id is not None:
        query = query.where(Complaint.branch_id == branch_id)
    rows = list(db.session.scalars(query))
    on = today()
    return len(rows), sum(1 for c in rows if is_overdue(c, on))


MONTH = re.compile(r"(\d{4})-(\d{2})")
REPORT_COLUMNS = ("month", "branch_code", "branch_name", "category", "category_label", "filed", "decided",
                  "decided_on_time", "open", "overdue", "extended_30", "extended_60", "reopened", "rated",
                  "average_rating")


def parse_month(text: str | None) -> date:
    match = MONTH.fullmatch((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2999:
        raise ComplaintRefused("month", _("月份格式应为 YYYY-MM，例如 2026-03。"))
    return date(int(match.group(1)), int(match.group(2)), 1)


def _utc_bounds(month: date) -> tuple[datetime, datetime]:
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    zone = _zone()

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC).replace(tzinfo=None)

    return utc(month), utc(following)


def monthly_report(month: date) -> list[dict]:
    """The complaints filed in the local month, by branch (unassigned ones under head office) and category."""
    start, end = _utc_bounds(month)
    complaints = list(db.session.scalars(select(Complaint).where(Complaint.created_at >= start,
                                                                 Complaint.created_at < end)))
    branches = {b.id: b for b in db.session.scalars(select(Branch))}
    on = today()
    groups: dict[tuple, list[Complaint]] = {}
    for complaint in complaints:
        groups.setdefault((complaint.branch_id, complaint.category), []).append(complaint)
    rows = []
    for (branch_id, category), items in sorted(groups.items(), key=lambda kv: (
            branches[kv[0][0]].code if kv[0][0] in branches else "", kv[0][1])):
        branch = branches.get(branch_id)
        ratings = [c.rating for c in items if c.rating is not None]
        decided = [c for c in items if c.decided_at is not None or c.status in (DECIDED, CLOSED)]
        rows.append({
            "month": f"{month:%Y-%m}",
            "branch_code": branch.code if branch else "",
            "branch_name": branch.name if branch else str(_l("总行（待分派）")),
            "category": category,
            "category_label": str(CATEGORIES.get(category, category)),
            "filed": len(items),
            "decided": len(decided),
            "decided_on_time": sum(1 for c in decided if c.decided_at is not None
                                   and local_date(c.decided_at) <= deadline(c)),
            "open": sum(1 for c in items if c.status in OPEN_STATUSES),
            "overdue": sum(1 for c in items if is_overdue(c, on)),
            "extended_30": sum(1 for c in items if c.limit_days == COMPLEX_DAYS),
            "extended_60": sum(1 for c in items if c.limit_days == MAX_DAYS),
            "reopened": sum(1 for c in items if c.reopen_count),
            "rated": len(ratings),
            "average_rating": f"{sum(ratings) / len(ratings):.1f}" if ratings else "",
        })
    return rows


def report_csv(month: date) -> str:
    """The report as CSV (UTF-8 with BOM when written to a file, so Excel opens the Chinese)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(monthly_report(month))
    return buffer.getvalue()


def filed_count(branch_id: int | None = None) -> int:
    query = select(func.count(Complaint.id))
    if branch_id is not None:
        query = query.where(Complaint.branch_id == branch_id)
    return db.session.scalar(query) or 0
