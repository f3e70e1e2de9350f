"""The transfer orders the service records, and the wrong-PIN counters per card.

A `TransferOrder` is created when the customer submits the form (status awaiting_pin), keyed by the
idempotency key the form carried; it moves to processing when the PIN is right, then to its outcome.
The PIN itself is never stored: only how many times in a row it was wrong for a card.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, validates

from ...extensions import db
from ...shared.cards import normalise_card
from ...shared.fieldcrypt import EncryptedText, lookup_hash
from ...shared.masking import mask_card, mask_name
from ...shared.timeutil import utcnow

AWAITING_PIN = "awaiting_pin"
PROCESSING = "processing"
POSTED = "posted"
PENDING_SETTLEMENT = "pending_settlement"
FAILED = "failed"
UNCONFIRMED = "unconfirmed"  # the core could not be reached while posting: the outcome is not known yet
HELD = "held"  # 普通/次日到账: debited, held by the core until release_at (the customer may revoke until then)
UNDER_REVIEW = "under_review"  # a fraud rule hit: debited and held until staff release or refuse it
REVOKED = "revoked"  # the customer revoked it before release: the money is back
REFUSED = "refused"  # staff refused it after review: the money is back
# Orders that use up the day's limits (a failed one posted nothing, an awaiting one has not been sent).
COUNTED_STATUSES = (PROCESSING, POSTED, PENDING_SETTLEMENT, UNCONFIRMED, HELD, UNDER_REVIEW)
FINAL_STATUSES = (POSTED, PENDING_SETTLEMENT, FAILED, REVOKED, REFUSED)
HELD_STATUSES = (HELD, UNDER_REVIEW)  # the money is on the core's hold account


def payee_key(payee_number: str | None) -> str | None:
    """The keyed hash of a payee's account number (payee_number is encrypted at rest, a fresh ciphertext each
    time): how "paid this payee before?" and 常用收款人 find the same payee."""
    if not payee_number:
        return None
    return lookup_hash("card", normalise_card(payee_number) or payee_number.strip())

# When the money reaches the payee (core_banking.port.ARRIVALS)
ARRIVAL_REALTIME, ARRIVAL_NORMAL, ARRIVAL_NEXT_DAY = "realtime", "normal", "next_day"


class TransferOrder(db.Model):
    __tablename__ = "transfer_order"
    __table_args__ = (Index("ix_transfer_order_account_submitted", "from_account_id", "submitted_at"),
                      Index("ix_transfer_order_openid_submitted", "openid", "submitted_at"),  # per-customer limit
                      Index("ix_transfer_order_status_release", "status", "release_at"),  # the due releases
                      Index("ix_transfer_order_openid_payee_hash", "openid", "payee_hash"))  # paid this payee before?

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    binding_id: Mapped[int] = mapped_column(Integer)
    from_account_id: Mapped[str] = mapped_column(String(64))
    from_card_masked: Mapped[str] = mapped_column(String(32))
    payee_number: Mapped[str] = mapped_column(EncryptedText())  # full: mask before showing; encrypted at rest
    payee_name: Mapped[str] = mapped_column(EncryptedText())  # encrypted at rest
    payee_tail: Mapped[str] = mapped_column(String(4), default="", server_default="")  # staff search by it
    payee_hash: Mapped[str | None] = mapped_column(String(64))  # payee_key(payee_number): "paid this payee before?"
    payee_bank: Mapped[str] = mapped_column(String(16))  # "" = this bank, else a code of banks.OTHER_BANKS
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(24), default=AWAITING_PIN)
    failure_code: Mapped[str | None] = mapped_column(String(32))
    failure_message: Mapped[str | None] = mapped_column(String(200))
    transfer_id: Mapped[str | None] = mapped_column(String(64))
    balance_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)  # PIN right, sent to the core
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    arrival: Mapped[str] = mapped_column(String(16), default=ARRIVAL_REALTIME, server_default=ARRIVAL_REALTIME)
    release_at: Mapped[datetime | None] = mapped_column(DateTime)  # held: when the scheduler releases it
    new_payee: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # never paid before
    warning_acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)  # the anti-fraud warning read
    review_rules: Mapped[str | None] = mapped_column(String(200))  # the fraud rules hit, comma-separated codes
    reviewed_by: Mapped[str | None] = mapped_column(String(64))  # the staff username who released or refused
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str | None] = mapped_column(String(200))  # what the call with the customer said

    @validates("payee_number")
    def _keep_tail(self, _key, value: str) -> str:
        self.payee_tail = "".join(ch for ch in (value or "") if ch.isdigit())[-4:]
        self.payee_hash = payee_key(value)
        return value

    @property
    def payee_masked(self) -> str:
        return mask_card(self.payee_number)

    @property
    def payee_name_masked(self) -> str:
        return mask_name(self.payee_name)

    def __repr__(self) -> str:  # never leaks the payee's number or name into logs
        return f"<TransferOrder {self.id} {self.status} {self.amount_fen} fen to {self.payee_masked}>"


class PinGuard(db.Model):
    """Wrong transaction PINs in a row for one card (the core's account id), and its lock."""

    __tablename__ = "transfer_pin_guard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CustomerLimit(db.Model):
    """A customer's own transfer limits (one WeChat user, all their cards), below the bank's. The customer lowers
    them in H5; only branch staff raise them again (admin panel, audited), never above the bank's."""

    __tablename__ = "transfer_customer_limit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # in the panel's URLs instead of the openid
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    single_fen: Mapped[int] = mapped_column(BigInteger)
    daily_fen: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))  # "customer" or the staff username

    def __repr__(self) -> str:
        return f"<CustomerLimit {self.single_fen}/{self.daily_fen} fen by {self.updated_by}>"


class TransferPreference(db.Model):
    """A customer's default arrival (实时/普通/次日到账), chosen in H5; the form starts with it."""

    __tablename__ = "transfer_preference"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    default_arrival: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
