"""Credit cards on the built-in ledger: opening a card, spending on it, its statements and repayments.

A credit card is a ledger account of kind `credit` (a liability of the customer: its balance is 0 or below,
minus what is owed) with its terms in `ledger_credit_card` (limit, statement day, due day). Spending debits
the card and credits the settlement account (the card scheme settles with the merchant's bank); a repayment
debits the customer's own debit card and credits the card, one journal entry per idempotency key.

Statements are cut from the card's postings: the period ends with the statement day at midnight bank time
(China Standard Time, UTC+8 all year); the new balance is what the card owed at that moment, the minimum
payment 10 % of it (at least 100 yuan, at most all of it), the due date the first due day after the statement
day, and `paid` what was repaid after the cut (at most the new balance). Nothing is stored for a statement,
so it always agrees with the postings.
"""

import hashlib
import json
from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.orm import Session

from ...db import write_transaction
from ...shared.cards import luhn_valid, normalise_card
from ...shared.timeutil import utcnow
from ..models import Customer
from ..port import (
    AccountNotActive,
    AccountNotFound,
    CreditCard,
    CreditStatement,
    IdempotencyConflict,
    InsufficientFunds,
    NotCreditCard,
    NotOwnAccount,
    RepaymentExceedsOwed,
    RepaymentRequest,
    RepaymentResult,
    Transaction,
)
from .accounts import SETTLEMENT_ACCOUNT_ID, next_customer_account_id
from .models import (
    ENTRY_CARD_PURCHASE,
    ENTRY_POSTED,
    ENTRY_REPAYMENT,
    KIND_CREDIT,
    KIND_CUSTOMER,
    STATUS_ACTIVE,
    CreditCardTerms,
    JournalEntry,
    LedgerAccount,
    Posting,
)
from .posting import Leg, LockedAccount, append_entry, find_entry

BANK_TIME = timezone(timedelta(hours=8), "CST")  # statements are cut at midnight China Standard Time
MINIMUM_PAYMENT_PERCENT = 10
MINIMUM_PAYMENT_FLOOR_FEN = 10_000  # 100 yuan, or the whole new balance when it is less
MAX_STATEMENTS = 24
CARD_LENGTHS = range(16, 20)
REPAYMENT_MEMO = "信用卡还款"


# --- the cycle ----------------------------------------------------------------------------------

def bank_date(moment: datetime) -> date:
    """The bank's calendar day of a naive UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(BANK_TIME).date()


def day_end_utc(day: date) -> datetime:
    """The end of `day` in bank time (the next midnight), as naive UTC."""
    return datetime.combine(day + timedelta(days=1), time(), BANK_TIME).astimezone(UTC).replace(tzinfo=None)


def _month_back(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def statement_ends(statement_day: int, opened: date, today: date, count: int) -> list[date]:
    """The statement days already cut by `today` (bank time), newest first, none before the card was opened."""
    year, month = today.year, today.month
    ends = []
    while len(ends) < count:
        end = date(year, month, statement_day)
        if end < opened:
            break
        if end < today:
            ends.append(end)
        year, month = _month_back(year, month)
    return ends


def due_date(statement_end: date, due_day: int) -> date:
    """The first day numbered `due_day` after the statement day."""
    if due_day > statement_end.day:
        return statement_end.replace(day=due_day)
    year, month = (statement_end.year + 1, 1) if statement_end.month == 12 else (statement_end.year,
                                                                                 statement_end.month + 1)
    return date(year, month, min(due_day, monthrange(year, month)[1]))


def minimum_payment(new_balance_fen: int) -> int:
    """10 % of the new balance rounded up to the fen, at least 100 yuan, never more than the balance."""
    if new_balance_fen <= 0:
        return 0
    share = -(-new_balance_fen * MINIMUM_PAYMENT_PERCENT // 100)
    return min(max(share, MINIMUM_PAYMENT_FLOOR_FEN), new_balance_fen)


# --- reading ------------------------------------------------------------------------------------

_CARD = (select(LedgerAccount.account_id, LedgerAccount.kind, LedgerAccount.status, LedgerAccount.balance_fen,
                LedgerAccount.opened_at, CreditCardTerms.credit_limit_fen, CreditCardTerms.statement_day,
                CreditCardTerms.due_day)
         .outerjoin(CreditCardTerms, CreditCardTerms.account_id == LedgerAccount.account_id))


def card_row(connection: Connection, account_id: str) -> Row:
    """The card's account and terms; AccountNotFound, or NotCreditCard for any other account."""
    row = connection.execute(_CARD.where(LedgerAccount.account_id == account_id)).first()
    if row is None or row.kind not in (KIND_CUSTOMER, KIND_CREDIT):
        raise AccountNotFound()
    if row.kind != KIND_CREDIT or row.credit_limit_fen is None:
        raise NotCreditCard()
    return row


def credit_card(connection: Connection, account_id: str) -> CreditCard:
    row = card_row(connection, account_id)
    owed = -row.balance_fen
    return CreditCard(account_id=row.account_id, credit_limit_fen=row.credit_limit_fen, owed_fen=owed,
                      available_credit_fen=row.credit_limit_fen - owed, statement_day=row.statement_day,
                      due_day=row.due_day, as_of=utcnow())


def _transaction(row: Row, account_id: str, transaction_id) -> Transaction:
    return Transaction(transaction_id=transaction_id(row.entry_id), account_id=account_id, amount_fen=row.amount_fen,
                       balance_after_fen=row.balance_after_fen, occurred_at=row.created_at, kind=row.kind,
                       counterparty_name=row.counterparty_name, counterparty_account=row.counterparty_account,
                       memo=row.memo)


def statements(connection: Connection, account_id: str, limit: int, transaction_id) -> list[CreditStatement]:
    """Newest first, at most `limit`; a period without postings that owed nothing has no statement."""
    row = card_row(connection, account_id)
    now = utcnow()
    ends = statement_ends(row.statement_day, bank_date(row.opened_at), bank_date(now), MAX_STATEMENTS)
    found = []
    for index, end in enumerate(ends):
        if len(found) >= limit:
            break
        start = ends[index + 1] + timedelta(days=1) if index + 1 < len(ends) else bank_date(row.opened_at)
        cut, begin = day_end_utc(end), day_end_utc(start - timedelta(days=1))
        postings = (select(Posting.entry_id, Posting.amount_fen, Posting.balance_after_fen, Posting.kind,
                           Posting.counterparty_name, Posting.counterparty_account, Posting.memo,
                           JournalEntry.created_at)
                    .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                    .where(Posting.account_id == account_id))
        before_cut = connection.execute(postings.where(JournalEntry.created_at < cut)
                                        .order_by(Posting.id.desc()).limit(1)).first()
        new_balance = -before_cut.balance_after_fen if before_cut is not None else 0
        lines = [_transaction(line, account_id, transaction_id) for line in connection.execute(
            postings.where(JournalEntry.created_at >= begin, JournalEntry.created_at < cut).order_by(Posting.id))]
        if not lines and new_balance == 0:
            continue
        repaid = connection.scalar(
            select(func.coalesce(func.sum(Posting.amount_fen), 0))
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(Posting.account_id == account_id, Posting.amount_fen > 0, JournalEntry.created_at >= cut))
        found.append(CreditStatement(
            statement_id=f"{account_id}-{end:%Y%m%d}", account_id=account_id, period_start=start, period_end=end,
            due_date=due_date(end, row.due_day), new_balance_fen=new_balance,
            minimum_payment_fen=minimum_payment(new_balance), paid_fen=min(int(repaid), new_balance),
            transactions=tuple(lines)))
    return found


# --- opening a card, spending -------------------------------------------------------------------

def open_credit_card(session: Session, customer: Customer, card_number: str, pin_hash: str | None, *,
                     credit_limit_fen: int, statement_day: int, due_day: int) -> LedgerAccount:
    """A new active credit card owing nothing. An operator's job (one at a time), like opening a debit card."""
    card = normalise_card(card_number)
    if len(card) not in CARD_LENGTHS or not luhn_valid(card):
        raise ValueError("卡号须为 16-19 位且通过 Luhn 校验 The card number must be 16-19 Luhn-valid digits")
    if credit_limit_fen <= 0 or not 1 <= statement_day <= 28 or not 1 <= due_day <= 28:
        raise ValueError("额度须为正，账单日与还款日为 1-28 limit > 0, statement and due day 1-28")
    account = LedgerAccount(account_id=next_customer_account_id(session), card_number=card, customer=customer,
                            kind=KIND_CREDIT, status=STATUS_ACTIVE, balance_fen=0, pin_hash=pin_hash)
    session.add(account)
    session.flush()
    session.add(CreditCardTerms(account_id=account.account_id, credit_limit_fen=credit_limit_fen,
                                statement_day=statement_day, due_day=due_day))
    session.flush()
    return account


_LOCK_PARTIES = (
    select(LedgerAccount.account_id, LedgerAccount.kind, LedgerAccount.status, LedgerAccount.balance_fen,
           LedgerAccount.customer_id, LedgerAccount.card_number, Customer.name.label("holder_name"),
           CreditCardTerms.credit_limit_fen)
    .outerjoin(Customer, Customer.id == LedgerAccount.customer_id)
    .outerjoin(CreditCardTerms, CreditCardTerms.account_id == LedgerAccount.account_id)
    .order_by(LedgerAccount.account_id)
)
_LOCK_PARTIES_FOR_UPDATE = _LOCK_PARTIES.with_for_update(of=LedgerAccount)


def _lock(connection: Connection, account_ids: list[str]) -> dict[str, Row]:
    """Lock the rows in account-id order (SQLite: the transaction already holds the write lock)."""
    query = _LOCK_PARTIES if connection.dialect.name == "sqlite" else _LOCK_PARTIES_FOR_UPDATE
    return {row.account_id: row for row in connection.execute(
        query.where(LedgerAccount.account_id.in_(sorted(set(account_ids)))))}


def _locked(rows) -> dict[str, LockedAccount]:
    return {row.account_id: LockedAccount(row.account_id, row.kind, row.status, row.balance_fen) for row in rows}


def post_card_purchase(engine: Engine, card_account_id: str, amount_fen: int, merchant: str, key: str,
                       created_at: datetime | None = None) -> int | None:
    """Spend on a credit card at a merchant (the demo's and the tests' card scheme), once per key. Returns the
    entry id, or None when the key was applied. Refuses beyond the available credit (InsufficientFunds)."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise ValueError("amount must be a positive number of fen")
    fingerprint = hashlib.sha256(json.dumps([card_account_id, amount_fen, merchant]).encode()).hexdigest()

    def work(connection: Connection) -> int | None:
        rows = _lock(connection, [card_account_id, SETTLEMENT_ACCOUNT_ID])
        card = rows.get(card_account_id)
        if card is None or card.kind != KIND_CREDIT or SETTLEMENT_ACCOUNT_ID not in rows:
            raise NotCreditCard()
        if find_entry(connection, key) is not None:
            return None
        if card.status != STATUS_ACTIVE:
            raise AccountNotActive()
        if card.credit_limit_fen + card.balance_fen < amount_fen:
            raise InsufficientFunds("信用卡可用额度不足")
        written = append_entry(
            connection, idempotency_key=key, request_hash=fingerprint, kind=ENTRY_CARD_PURCHASE,
            status=ENTRY_POSTED, amount_fen=amount_fen, locked=_locked(rows.values()),
            created_at=created_at or utcnow(), legs=[
                Leg(card_account_id, -amount_fen, "purchase", merchant[:64], "", "消费"),
                Leg(SETTLEMENT_ACCOUNT_ID, amount_fen, "purchase", (card.holder_name or "")[:64],
                    card.card_number or "", "信用卡消费"),
            ])
        return written[0]

    return write_transaction(engine, work)


# --- repayments ---------------------------------------------------------------------------------

def repayment_fingerprint(request: RepaymentRequest) -> str:
    payload = [request.from_account_id, request.card_account_id, request.amount_fen]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _replayed(connection: Connection, applied: Row, fingerprint: str, card_account_id: str,
              transaction_id) -> RepaymentResult:
    if applied.request_hash != fingerprint or applied.kind != ENTRY_REPAYMENT:
        raise IdempotencyConflict()
    card_after = connection.scalar(select(Posting.balance_after_fen).where(
        Posting.entry_id == applied.id, Posting.account_id == card_account_id))
    limit = connection.scalar(select(CreditCardTerms.credit_limit_fen)
                              .where(CreditCardTerms.account_id == card_account_id))
    return RepaymentResult(repayment_id=transaction_id(applied.id), amount_fen=applied.amount_fen,
                           from_balance_after_fen=applied.payer_balance_after_fen, owed_after_fen=-card_after,
                           available_credit_after_fen=limit + card_after, posted_at=applied.created_at,
                           replayed=True)


def repay(connection: Connection, request: RepaymentRequest, key: str, amount_fen: int,
          transaction_id) -> RepaymentResult:
    """One repayment under the locks of both accounts: a resent key replays (or conflicts), then the checks, then
    one entry. The same key sent twice at once queues on the same two locks, so the second finds the first."""
    payer_id = request.from_account_id if isinstance(request.from_account_id, str) else ""
    card_id = request.card_account_id if isinstance(request.card_account_id, str) else ""
    fingerprint = repayment_fingerprint(request)
    rows = _lock(connection, [payer_id, card_id])
    applied = find_entry(connection, key)
    if applied is not None:
        return _replayed(connection, applied, fingerprint, card_id, transaction_id)
    payer, card = rows.get(payer_id), rows.get(card_id)
    if payer is None or payer.kind not in (KIND_CUSTOMER, KIND_CREDIT) or card is None or card.kind not in (
            KIND_CUSTOMER, KIND_CREDIT):
        raise AccountNotFound()
    if card.kind != KIND_CREDIT or card.credit_limit_fen is None:
        raise NotCreditCard()
    if payer.kind != KIND_CUSTOMER:
        raise NotOwnAccount("只能使用借记卡还款")
    if payer.customer_id is None or payer.customer_id != card.customer_id:
        raise NotOwnAccount()
    if payer.status != STATUS_ACTIVE or card.status != STATUS_ACTIVE:
        raise AccountNotActive()
    if amount_fen > -card.balance_fen:
        raise RepaymentExceedsOwed()
    if amount_fen > payer.balance_fen:
        raise InsufficientFunds()
    created_at = utcnow()
    holder = (card.holder_name or "")[:64]
    entry_id, balances = append_entry(
        connection, idempotency_key=key, request_hash=fingerprint, kind=ENTRY_REPAYMENT, status=ENTRY_POSTED,
        amount_fen=amount_fen, locked=_locked((payer, card)), created_at=created_at, legs=[
            Leg(payer.account_id, -amount_fen, "repayment", holder, card.card_number or "", REPAYMENT_MEMO),
            Leg(card.account_id, amount_fen, "repayment", holder, payer.card_number or "", REPAYMENT_MEMO),
        ])
    owed_after = -balances[card.account_id]
    return RepaymentResult(repayment_id=transaction_id(entry_id), amount_fen=amount_fen,
                           from_balance_after_fen=balances[payer.account_id], owed_after_fen=owed_after,
                           available_credit_after_fen=card.credit_limit_fen - owed_after, posted_at=created_at)
