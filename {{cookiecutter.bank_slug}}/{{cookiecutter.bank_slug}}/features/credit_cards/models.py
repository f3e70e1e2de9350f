"""The credit-card repayments the service records (信用卡还款单).

A `CreditRepayment` is created when the customer submits the repayment form (status awaiting_pin), keyed by
the idempotency key the form carried (the same key is the core's idempotency key); it moves to processing when
the PIN is right, then to its outcome. Only the cores' account keys and masked card numbers are kept.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.timeutil import utcnow

AWAITING_PIN = "awaiting_pin"
PROCESSING = "processing"
POSTED = "posted"
FAILED = "failed"
UNCONFIRMED = "unconfirmed"  # the core could not be reached while posting: the outcome is not known yet
STATUSES = (AWAITING_PIN, PROCESSING, POSTED, FAILED, UNCONFIRMED)

MODE_FULL = "full"  # what the latest statement still owes (or everything owed when nothing was billed)
MODE_MINIMUM = "minimum"  # what is left of the latest statement's minimum payment
MODE_AMOUNT = "amount"  # an amount the customer typed
MODES = (MODE_FULL, MODE_MINIMUM, MODE_AMOUNT)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CreditRepayment(db.Model):
    __tablename__ = "credit_repayment"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("mode", MODES), name="mode"),
        Index("ix_credit_repayment_card_created", "card_account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    card_binding_id: Mapped[int] = mapped_column(Integer)
    card_account_id: Mapped[str] = mapped_column(String(64))
    card_mask: Mapped[str] = mapped_column(String(32))
    from_binding_id: Mapped[int] = mapped_column(Integer)
    from_account_id: Mapped[str] = mapped_column(String(64))
    from_card_mask: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    statement_id: Mapped[str | None] = mapped_column(String(64))  # the statement the customer was repaying
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=AWAITING_PIN)
    failure_code: Mapped[str | None] = mapped_column(String(32))
    failure_message: Mapped[str | None] = mapped_column(String(200))
    repayment_id: Mapped[str | None] = mapped_column(String(64))
    owed_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    available_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    from_balance_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:  # masked cards only
        return f"<CreditRepayment {self.id} {self.status} {self.amount_fen} fen to {self.card_mask}>"
