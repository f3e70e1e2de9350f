"""Tables of the built-in double-entry ledger: accounts, journal entries and their postings.

Every money movement is one journal entry whose postings sum to zero. An account's `balance_fen`
is kept in the same transaction as its postings, so it always equals the sum of its postings and
the `balance_after_fen` of its latest one (`flask ledger check` verifies this).

The database enforces what one row can say (CHECK constraints below: known kinds and statuses, no zero
posting, positive entry amounts, no negative customer balance) and, on PostgreSQL, that each entry's
postings sum to zero (a deferred constraint trigger, migration 0011). `flask ledger check` stays the audit
of what spans rows and tables.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ...extensions import db
from ...shared.cards import normalise_card
from ...shared.fieldcrypt import EncryptedText, lookup_hash
from ...shared.masking import mask_card
from ...shared.timeutil import utcnow
from ..models import Customer

KIND_CUSTOMER = "customer"
KIND_SETTLEMENT = "settlement"  # owed to other banks: credited by transfers out of this bank
KIND_CAPITAL = "capital"  # the bank's own funds: the source of opening deposits
KIND_CREDIT = "credit"  # a customer's credit card: a liability account, balance 0 or below (minus what is owed)
KIND_SUSPENSE = "suspense"  # delayed transfers (普通/次日到账) held between the payer's debit and the release
ACCOUNT_KINDS = (KIND_CUSTOMER, KIND_SETTLEMENT, KIND_CAPITAL, KIND_CREDIT, KIND_SUSPENSE)
CUSTOMER_KINDS = (KIND_CUSTOMER, KIND_CREDIT)  # the accounts of customers (cards they can bind)

STATUS_ACTIVE = "active"
STATUS_FROZEN = "frozen"
STATUS_CLOSED = "closed"
ACCOUNT_STATUSES = (STATUS_ACTIVE, STATUS_FROZEN, STATUS_CLOSED)

ENTRY_TRANSFER = "transfer"  # inside this bank
ENTRY_INTERBANK = "interbank_transfer"  # to another bank, through the settlement account
ENTRY_OPENING = "opening_deposit"  # from the capital account when an account is opened
ENTRY_CARD_PURCHASE = "card_purchase"  # spent on a credit card: card -> settlement account (the acquirer)
ENTRY_REPAYMENT = "credit_repayment"  # a customer's debit card -> their own credit card
ENTRY_HELD = "held_transfer"  # payer -> the hold account (a delayed transfer)
ENTRY_RELEASE = "hold_release"  # the hold account -> payee or settlement
ENTRY_REVOCATION = "hold_revocation"  # the hold account -> back to the payer (撤销)
ENTRY_KINDS = (ENTRY_TRANSFER, ENTRY_INTERBANK, ENTRY_OPENING, ENTRY_CARD_PURCHASE, ENTRY_REPAYMENT, ENTRY_HELD,
               ENTRY_RELEASE, ENTRY_REVOCATION)

ENTRY_POSTED = "posted"
ENTRY_PENDING_SETTLEMENT = "pending_settlement"
ENTRY_HELD_STATUS = "held"
ENTRY_STATUSES = (ENTRY_POSTED, ENTRY_PENDING_SETTLEMENT, ENTRY_HELD_STATUS)

HOLD_HELD = "held"
HOLD_RELEASED = "released"
HOLD_REVOKED = "revoked"
HOLD_STATUSES = (HOLD_HELD, HOLD_RELEASED, HOLD_REVOKED)

# A posting's kind is a port.Transaction.kind; the ledger writes transfer_in, transfer_out, deposit, purchase
# (card spending) and repayment (both legs of a credit-card repayment).
POSTING_KINDS = ("transfer_in", "transfer_out", "deposit", "withdrawal", "fee", "interest", "other", "purchase",
                 "repayment")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class LedgerAccount(db.Model):
    """An account of the ledger: a customer's card account, or one of the bank's internal accounts."""

    __tablename__ = "ledger_account"
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
        CheckConstraint(_in("status", ACCOUNT_STATUSES), name="status"),
        CheckConstraint(f"kind <> '{KIND_CUSTOMER}' OR balance_fen >= 0", name="customer_not_negative"),
        CheckConstraint(f"kind <> '{KIND_CREDIT}' OR balance_fen <= 0", name="credit_not_positive"),
    )

    account_id: Mapped[str] = mapped_column(String(16), primary_key=True)  # A0000001; never shown to customers
    card_number: Mapped[str | None] = mapped_column(EncryptedText())  # customer accounts only; encrypted at rest
    card_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # card_key(card_number)
    card_tail: Mapped[str | None] = mapped_column(String(4))  # last four digits: staff search by them
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("bank_customer.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(64))  # holder name shown for internal accounts
    kind: Mapped[str] = mapped_column(String(16), default=KIND_CUSTOMER)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_ACTIVE)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    pin_hash: Mapped[str | None] = mapped_column(String(256))  # werkzeug scrypt hash; never the PIN
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    customer: Mapped[Customer | None] = relationship()

    @validates("card_number")
    def _hash_card(self, _key, value: str | None) -> str | None:
        self.card_number_hash = card_key(value) if value else None
        self.card_tail = normalise_card(value)[-4:] if value else None
        return value

    def __repr__(self) -> str:  # never leaks the card number into logs or tracebacks
        card = mask_card(self.card_number) if self.card_number else "-"
        return f"<LedgerAccount {self.account_id} {self.kind} {card}>"


class JournalEntry(db.Model):
    """One money movement (a transfer or an opening deposit), applied at most once per idempotency key."""

    __tablename__ = "ledger_journal_entry"
    __table_args__ = (
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),
        CheckConstraint(_in("status", ENTRY_STATUSES), name="status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the request: same key, other payload
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    postings: Mapped[list["Posting"]] = relationship(back_populates="entry")


class Posting(db.Model):
    """One leg of a journal entry: a signed amount on one account (+ credit, - debit)."""

    __tablename__ = "ledger_posting"
    __table_args__ = (
        Index("ix_ledger_posting_account_id_id", "account_id", "id"),  # an account's history
        CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
        CheckConstraint(_in("kind", POSTING_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_journal_entry.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_account.account_id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    balance_after_fen: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # port.Transaction.kind: transfer_in, transfer_out, deposit
    counterparty_name: Mapped[str] = mapped_column(EncryptedText(), default="")  # encrypted at rest
    counterparty_account: Mapped[str] = mapped_column(EncryptedText(), default="")
    memo: Mapped[str] = mapped_column(String(140), default="")

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")


class CreditCardTerms(db.Model):
    """The terms of a credit card account (kind credit): its limit and its monthly cycle. What it owes is the
    account's balance (minus); its statements are cut from its postings (ledger/credit.py)."""

    __tablename__ = "ledger_credit_card"
    __table_args__ = (
        CheckConstraint("credit_limit_fen > 0", name="limit_positive"),
        CheckConstraint("statement_day BETWEEN 1 AND 28", name="statement_day"),
        CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day"),
    )

    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_account.account_id"), primary_key=True)
    credit_limit_fen: Mapped[int] = mapped_column(BigInteger)
    statement_day: Mapped[int] = mapped_column(Integer)
    due_day: Mapped[int] = mapped_column(Integer)


class Hold(db.Model):
    """A delayed transfer the ledger holds: its entry moved the money from the payer to the hold account; it ends
    released (a second entry to the payee or the settlement account) or revoked (a second entry back to the
    payer), never both: both lock this row and move it from held (`flask ledger check`: the hold account's
    balance is the sum of what is held)."""

    __tablename__ = "ledger_hold"
    __table_args__ = (CheckConstraint(_in("status", HOLD_STATUSES), name="status"),
                      CheckConstraint("amount_fen > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)  # the transfer's
    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                          ForeignKey("ledger_journal_entry.id"))
    payer_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_account.account_id"))
    payee_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_account.account_id"))  # or the settlement's
    payee_name: Mapped[str] = mapped_column(EncryptedText(), default="")  # encrypted at rest (C2)
    payee_number: Mapped[str] = mapped_column(EncryptedText(), default="")  # full, encrypted: mask before showing
    memo: Mapped[str] = mapped_column(String(140), default="")
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=HOLD_HELD)
    final_entry_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                                       ForeignKey("ledger_journal_entry.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:  # never the payee's number
        return f"<Hold {self.id} {self.status} {self.amount_fen} fen>"


def card_key(card_number: str) -> str:
    """The lookup hash of a card number (digits only)."""
    return lookup_hash("card", normalise_card(card_number) or (card_number or "").strip())
