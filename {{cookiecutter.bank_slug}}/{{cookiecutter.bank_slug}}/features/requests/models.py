"""The tables of branch-routed requests: the request (any kind) and its status history, the staff-maintained
loan products, and the appointment slots, their per-day booking counters and the branches' closed days.

`open_key` is "<openid>:<kind>" while a request is open and NULL once it is final, so a unique constraint keeps
one open request per customer and kind (a double submission creates one record). `appointment_slot_day.booked`
is raised only by a conditional UPDATE (booked < capacity), so concurrent bookings never overbook a slot."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.i18n import _l
from ...shared.timeutil import utcnow

KIND_LOAN = "loan"
KIND_CARD = "card"
KIND_LABELS = {KIND_LOAN: _l("贷款申请"), KIND_CARD: _l("办卡预约")}
REFERENCE_PREFIX = {KIND_LOAN: "DK", KIND_CARD: "BK"}

# loan statuses
RECEIVED, CONTACTED, IN_REVIEW, APPROVED, DECLINED, WITHDRAWN = (
    "received", "contacted", "in_review", "approved_offline", "declined", "withdrawn")
# appointment statuses
BOOKED, ARRIVED, NO_SHOW, CANCELLED = "booked", "arrived", "no_show", "cancelled"

STATUS_LABELS = {
    RECEIVED: _l("已受理"), CONTACTED: _l("已联系"), IN_REVIEW: _l("审核中"), APPROVED: _l("线下审批通过"),
    DECLINED: _l("未通过"), WITHDRAWN: _l("已撤回"),
    BOOKED: _l("已预约"), ARRIVED: _l("已到店"), NO_SHOW: _l("未到店"), CANCELLED: _l("已取消"),
}


class RequestProduct(db.Model):
    """A loan product kind customers may apply for (staff keep the list)."""

    __tablename__ = "request_product"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    min_fen: Mapped[int] = mapped_column(BigInteger, default=1_000_000)  # 10,000.00 yuan
    max_fen: Mapped[int] = mapped_column(BigInteger, default=100_000_000)  # 1,000,000.00 yuan
    max_term_months: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return self.name


class BranchRequest(db.Model):
    __tablename__ = "branch_request"
    __table_args__ = (UniqueConstraint("open_key", name="uq_branch_request_open"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    open_key: Mapped[str | None] = mapped_column(String(96))
    binding_id: Mapped[int | None] = mapped_column(Integer)
    account_id: Mapped[str] = mapped_column(String(64), default="")
    customer_masked: Mapped[str] = mapped_column(String(64), default="")  # masked name / card
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    branch_code: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(200))  # staff's last note, shown to the customer
    # loan
    product_id: Mapped[int | None] = mapped_column(ForeignKey("request_product.id"))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    term_months: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(100))
    contact_time: Mapped[str | None] = mapped_column(String(40))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # appointment
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_slot.id"))
    day: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    product = db.relationship("RequestProduct")
    slot = db.relationship("AppointmentSlot")


class RequestEvent(db.Model):
    """One status change (or reschedule) of a request, with who made it and the note."""

    __tablename__ = "branch_request_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("branch_request.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))  # a staff username, or "customer"
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AppointmentSlot(db.Model):
    """A weekly time slot of a branch (weekday 0 = Monday) and how many customers it takes."""

    __tablename__ = "appointment_slot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_code: Mapped[str] = mapped_column(String(16), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[str] = mapped_column(String(5))  # "09:00", bank time
    ends: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SlotDay(db.Model):
    """The bookings of one slot on one day: raised only while below capacity (one conditional UPDATE)."""

    __tablename__ = "appointment_slot_day"
    __table_args__ = (UniqueConstraint("slot_id", "day", name="uq_appointment_slot_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointment_slot.id"))
    day: Mapped[date] = mapped_column(Date)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class ClosedDay(db.Model):
    """A day a branch takes no appointments (a holiday); branch_code NULL closes every branch."""

    __tablename__ = "appointment_closed_day"
    __table_args__ = (UniqueConstraint("branch_code", "day", name="uq_appointment_closed_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_code: Mapped[str | None] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(60), default="")
