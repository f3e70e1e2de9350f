"""The complaints (投诉) the bank has received, and each complaint's thread.

A `Complaint` is stored when the customer submits the H5 form, keyed by the idempotency key the form carried
(a double submit finds the first one). Its ticket number (TS + the bank's local date + the row's sequence) is
unique. The clock: `clock_start` is the local date the current handling period began (the filing, or the
reopening), `limit_days` is 15, 30 (complex case) or 60 (with a head-office approver); the deadline is
`clock_start + limit_days`. Every step (filing, assignment, reply, extension, decision, rating, reopening) is a
`ComplaintEvent` of the thread; the same steps are in the admin audit log.
"""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...shared.timeutil import utcnow

RECEIVED = "received"  # filed, waiting in the head-office queue
ASSIGNED = "assigned"  # a branch handles it
DECIDED = "decided"  # the decision was sent; the customer may rate it or reopen once
REOPENED = "reopened"  # the customer reopened it: handled again on a new 15-day clock
CLOSED = "closed"  # the customer rated the decision
STATUSES = (RECEIVED, ASSIGNED, DECIDED, REOPENED, CLOSED)
OPEN_STATUSES = (RECEIVED, ASSIGNED, REOPENED)  # the clock runs

# thread entries
FILED, ASSIGN, REPLY, EXTEND, DECISION, RATING, REOPEN = "filed", "assign", "reply", "extend", "decision", "rating", \
    "reopen"
CUSTOMER, STAFF = "customer", "staff"


class Complaint(db.Model):
    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_branch_status", "branch_id", "status"),
                      Index("ix_complaint_created", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_no: Mapped[str | None] = mapped_column(String(24), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)  # scrubbed: card, ID and phone numbers masked
    transaction_id: Mapped[str | None] = mapped_column(String(64))  # one of the customer's recent transactions
    transaction_summary: Mapped[str | None] = mapped_column(String(120))  # masked: date, kind, amount, card tail
    account_id: Mapped[str | None] = mapped_column(String(64))
    contact_channel: Mapped[str] = mapped_column(String(8))  # wechat | phone
    contact_time: Mapped[str] = mapped_column(String(16))  # any | morning | afternoon | evening
    status: Mapped[str] = mapped_column(String(16), default=RECEIVED)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("bank_branch.id"))
    clock_start: Mapped[date] = mapped_column(Date)  # local date the current handling period began
    limit_days: Mapped[int] = mapped_column(Integer, default=15)  # 15, 30 or 60
    extension_reason: Mapped[str | None] = mapped_column(String(200))
    extended_by: Mapped[str | None] = mapped_column(String(64))  # staff username
    approved_by: Mapped[str | None] = mapped_column(String(64))  # the head-office admin of a 60-day extension
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1..5
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    branch = relationship("Branch", lazy="joined")
    events = relationship("ComplaintEvent", order_by="ComplaintEvent.id", lazy="selectin",
                          back_populates="complaint")


class ComplaintEvent(db.Model):
    """One step of a complaint's thread: who (customer or a staff member), what, and the text the customer sees."""

    __tablename__ = "complaint_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(16))  # customer | staff
    staff_username: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")

    complaint = relationship(Complaint, back_populates="events")
