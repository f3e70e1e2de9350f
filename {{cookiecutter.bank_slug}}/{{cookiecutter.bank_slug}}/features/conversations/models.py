"""Conversations with staff (人工服务): a customer's conversation, its messages, the account managers, who is whose
account manager, the branches' service hours and the canned replies.

A `Conversation` is opened by 人工 / 转人工 / 客户经理 (or the H5 page) and routed to the customer's own account
manager, else to the queue of the branch of the customer's card binding, else to the head-office queue
(branch_code None). While it is open every message of the customer goes to it. Staff close it; the customer may
then rate it once (1..5). A `ConversationMessage` is one entry of the thread, masked before it is stored
(card, ID and mobile numbers: shared/masking.scrub); staff replies go to the customer through the outbox (topic
`conversation_reply`), whose notice row is keyed by the message id.
"""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...shared.timeutil import utcnow

OPEN, CLOSED = "open", "closed"
STATUSES = (OPEN, CLOSED)
CUSTOMER, STAFF, SYSTEM = "customer", "staff", "system"  # who wrote a message
AUTHORS = (CUSTOMER, STAFF, SYSTEM)


class Conversation(db.Model):
    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_openid_status", "openid", "status"),
                      # at most one open conversation per customer, whatever races (two messages at once)
                      Index("uq_conversation_open_openid", "openid", unique=True,
                            postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
                      Index("ix_conversation_branch_status", "branch_code", "status"),
                      Index("ix_conversation_assignee_status", "assignee_id", "status"),
                      Index("ix_conversation_opened", "opened_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default=OPEN)
    branch_code: Mapped[str | None] = mapped_column(String(16))  # the queue; None: head office
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("admin_staff_user.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime)  # the oldest customer message not answered
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)  # the first staff reply
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))  # staff username, or "customer"
    rating: Mapped[int | None] = mapped_column(Integer)  # 1..5, once, after the close
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)
    hours_notice_at: Mapped[datetime | None] = mapped_column(DateTime)  # the out-of-hours answer was sent
    flood_notice_at: Mapped[datetime | None] = mapped_column(DateTime)  # the "too fast" answer was sent
    unanswered: Mapped[int] = mapped_column(Integer, default=0)  # customer messages since the last staff reply
    last_excerpt: Mapped[str] = mapped_column(String(60), default="")  # the last message, masked, for the inbox

    assignee = relationship("StaffUser", lazy="joined")
    messages = relationship("ConversationMessage", order_by="ConversationMessage.id", lazy="select",
                            back_populates="conversation", cascade="all, delete-orphan")


class ConversationMessage(db.Model):
    __tablename__ = "conversation_message"
    __table_args__ = (Index("ix_conversation_message_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(8))  # customer | staff | system
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("admin_staff_user.id"))
    staff_name: Mapped[str | None] = mapped_column(String(64))  # the display name the customer saw
    body: Mapped[str] = mapped_column(Text, default="")  # masked (scrub) before stored
    throttled: Mapped[bool] = mapped_column(Boolean, default=False)  # came in while the customer was flooding

    conversation = relationship(Conversation, back_populates="messages")


class AccountManager(db.Model):
    """A staff member who is an account manager (客户经理): what the customer sees on 我的客户经理."""

    __tablename__ = "conversation_manager"

    staff_id: Mapped[int] = mapped_column(ForeignKey("admin_staff_user.id"), primary_key=True)
    title: Mapped[str] = mapped_column(String(32), default="")  # 客户经理, 理财经理 ...
    phone: Mapped[str] = mapped_column(String(20), default="")  # the work phone the customer may call
    photo_url: Mapped[str] = mapped_column(String(300), default="")  # https, or a path under /static
    introduction: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    staff = relationship("StaffUser", lazy="joined")


class CustomerManager(db.Model):
    """Whose account manager a staff member is (one per customer), and the customer's consent to be contacted."""

    __tablename__ = "conversation_customer_manager"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("conversation_manager.staff_id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(64), default="")
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)

    manager = relationship(AccountManager, lazy="joined")


class ServiceHours(db.Model):
    """A branch's 人工服务 hours (shared/hours.py text); a branch without a row has CONVERSATION_SERVICE_HOURS."""

    __tablename__ = "conversation_service_hours"

    branch_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    hours: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CannedReply(db.Model):
    """A prepared answer staff pick from; branch_code None: every branch."""

    __tablename__ = "conversation_canned_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_code: Mapped[str | None] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(String(600))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
