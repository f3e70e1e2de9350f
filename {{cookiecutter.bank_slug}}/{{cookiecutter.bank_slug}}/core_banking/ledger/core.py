"""`LedgerCore`: the CoreBanking port implemented on the built-in double-entry ledger.

A transfer is one database transaction (transactions.write_transaction, retried on serialization
failures and deadlocks): lock payer and payee in account-id order (SELECT ... FOR UPDATE; SQLite:
BEGIN IMMEDIATE), look the idempotency key up under those locks (applied -> the original result,
replayed=True, or IdempotencyConflict when the payload differs), check the refusals, then write
one entry whose two postings sum to zero and move both balances. A refusal raises before anything
is written, so it posts nothing. On PostgreSQL through psycopg this is two round trips, and the rows are
locked only inside the server (LedgerCore._transfer_pipelined, posting.py: psycopg pipelines).

Each call uses its own connection and transaction on the given engine (never the caller's
session): commit your own pending writes before calling, as you would before calling a remote core.
"""

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ...db import write_transaction
from ...shared.cards import normalise_card
from ...shared.timeutil import utcnow
from ..models import Branch, Customer
from ..port import (
    ARRIVALS,
    CARD_CREDIT,
    CARD_DEBIT,
    THIS_BANK,
    Account,
    AccountNotActive,
    AccountNotFound,
    Balance,
    CoreBankingError,
    CoreRejectedRequest,
    CoreUnavailable,
    CreditCard,
    CreditStatement,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    PayeeNameMismatch,
    PayeeNotFound,
    RepaymentRequest,
    RepaymentResult,
    SameAccount,
    Transaction,
    TransferRequest,
    TransferResult,
)
from . import credit
from .accounts import HOLD_ACCOUNT_ID, SETTLEMENT_ACCOUNT_ID
from .holds import hold_transfer, settle_hold
from .models import (
    CUSTOMER_KINDS,
    ENTRY_HELD,
    ENTRY_INTERBANK,
    ENTRY_PENDING_SETTLEMENT,
    ENTRY_POSTED,
    ENTRY_TRANSFER,
    KIND_CREDIT,
    KIND_CUSTOMER,
    STATUS_ACTIVE,
    CreditCardTerms,
    JournalEntry,
    LedgerAccount,
    Posting,
    card_key,
)
from .pins import pin_matches
from .posting import (
    Leg,
    LockedAccount,
    Party,
    append_entry,
    append_entry_and_commit,
    commit_unwritten,
    find_entry,
    lock_parties,
    lock_parties_and_find,
    pipelines,
    post_transfer_guarded,
    read_parties_and_find,
    skips_applied_keys,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_AMOUNT_FEN = 10**15  # far above any limit; keeps sums inside BIGINT
MAX_KEY_LENGTH = 128  # as core_api.IDEMPOTENCY_KEY_PATTERN
MAX_MEMO_LENGTH = 140
MAX_HISTORY = 100
ACCOUNT_ID_PATTERN = re.compile(r"A\d{7}")
OTHER_BANK_ACCOUNT_PATTERN = re.compile(r"\d{6,32}")


def transfer_id(entry_id: int) -> str:
    return f"J{entry_id:010d}"


def request_fingerprint(request: TransferRequest) -> str:
    """sha256 of what the customer asked for: the same key with another payload is a conflict."""
    payload = [request.from_account_id, normalise_card(request.to_account_number) or request.to_account_number,
               (request.to_name or "").strip(), request.amount_fen, (request.to_bank or "").strip(), request.memo]
    if request.held:  # a held request is another intent than the same one at once (old hashes stay the same)
        payload += [request.arrival, bool(request.hold_for_review)]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _checked_amount(amount_fen: object) -> int:
    if type(amount_fen) is not int or not 0 < amount_fen <= MAX_AMOUNT_FEN:  # bool and float are refused too
        raise InvalidAmount()
    return amount_fen


def _checked_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise CoreBankingError("交易流水号无效，请重新发起")
    return key


def _same_name(given: str, holder: str) -> bool:
    return re.sub(r"\s+", "", given or "") == re.sub(r"\s+", "", holder or "")


def _digits_or_empty(text: str) -> str:
    return re.sub(r"\D", "", text or "")


@dataclass(frozen=True)
class _Plan:
    """A transfer the checks allow: its parties' rows and what its entry and postings say."""

    payer: Row
    payee: Row
    kind: str
    status: str
    payee_name: str
    payee_number: str
    memo: str
    hold_account: Row | None


class LedgerCore:
    """CoreBanking on the ledger tables (see banking/ledger/models.py)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- accounts and identity ---------------------------------------------------------------

    def find_account_by_card(self, card_number: str) -> Account | None:
        card = normalise_card(card_number)
        if not card:
            return None
        row = self._read(lambda c: c.execute(self._account_query().where(
            LedgerAccount.card_number_hash == card_key(card), LedgerAccount.kind.in_(CUSTOMER_KINDS))).first())
        return self._account(row) if row else None

    def get_account(self, account_id: str) -> Account:
        return self._account(self._read(lambda c: self._account_row(c, account_id)))

    def verify_identity(self, account_id: str, name: str, id_number: str, phone: str) -> bool:
        row = self._read(lambda c: c.execute(
            select(Customer.name, Customer.id_number, Customer.phone)
            .join(LedgerAccount, LedgerAccount.customer_id == Customer.id)
            .where(LedgerAccount.account_id == account_id)).first())
        if row is None:
            return False
        return (_same_name(name, row.name)
                and (id_number or "").strip().upper() == row.id_number.upper()
                and _digits_or_empty(phone) == _digits_or_empty(row.phone))

    def verify_pin(self, account_id: str, pin: str) -> bool:
        pin_hash = self._read(lambda c: c.scalar(
            select(LedgerAccount.pin_hash).where(LedgerAccount.account_id == account_id)))
        return pin_matches(pin_hash, pin)

    # --- balances and history ----------------------------------------------------------------

    def balance(self, account_id: str) -> Balance:
        """A credit card's ledger balance is minus what it owes; its available amount is the credit left."""
        row = self._read(lambda c: c.execute(
            select(LedgerAccount.balance_fen, CreditCardTerms.credit_limit_fen)
            .outerjoin(CreditCardTerms, CreditCardTerms.account_id == LedgerAccount.account_id)
            .where(LedgerAccount.account_id == account_id)).first())
        if row is None:
            raise AccountNotFound()
        available = row.balance_fen + (row.credit_limit_fen or 0)
        return Balance(account_id=account_id, available_fen=available, ledger_fen=row.balance_fen, as_of=utcnow())

    def recent_transactions(self, account_id: str, limit: int = 10) -> list[Transaction]:
        """Newest first (postings of one account are numbered in the order they were applied)."""
        limit = max(0, min(int(limit), MAX_HISTORY))

        def read(connection: Connection) -> list[Row]:
            self._account_row(connection, account_id)
            return list(connection.execute(
                select(Posting.entry_id, Posting.amount_fen, Posting.balance_after_fen, Posting.kind,
                       Posting.counterparty_name, Posting.counterparty_account, Posting.memo, JournalEntry.created_at)
                .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                .where(Posting.account_id == account_id)
                .order_by(Posting.id.desc())
                .limit(limit)))

        rows = self._read(read) if limit else []
        return [Transaction(
            transaction_id=transfer_id(row.entry_id), account_id=account_id, amount_fen=row.amount_fen,
            balance_after_fen=row.balance_after_fen, occurred_at=row.created_at, kind=row.kind,
            counterparty_name=row.counterparty_name, counterparty_account=row.counterparty_account, memo=row.memo,
        ) for row in rows]

    # --- transfers ---------------------------------------------------------------------------

    def ping(self) -> None:
        self._read(lambda connection: connection.execute(select(1)).scalar_one())

    def transfer(self, request: TransferRequest) -> TransferResult:
        amount_fen = _checked_amount(request.amount_fen)
        key = _checked_key(request.idempotency_key)
        if request.arrival not in ARRIVALS or not isinstance(request.hold_for_review, bool):
            raise CoreRejectedRequest()
        fingerprint = request_fingerprint(request)
        return self._write(lambda c: self._transfer(c, request, key, amount_fen, fingerprint))

    def release_transfer(self, idempotency_key: str) -> TransferResult:
        key = _checked_key(idempotency_key)
        return self._write(lambda c: settle_hold(c, key, release=True))

    def revoke_transfer(self, idempotency_key: str) -> TransferResult:
        key = _checked_key(idempotency_key)
        return self._write(lambda c: settle_hold(c, key, release=False))

    def _transfer(self, connection: Connection, request: TransferRequest, key: str, amount_fen: int,
                  fingerprint: str) -> TransferResult:
        payer_id = request.from_account_id if isinstance(request.from_account_id, str) else ""
        interbank = (request.to_bank or "").strip() != THIS_BANK
        number = normalise_card(request.to_account_number)
        typed = (request.to_account_number or "").strip()
        parties = {"payer_id": payer_id,
                   "payee_card": number if number and not interbank else None,
                   "payee_account_id": typed if ACCOUNT_ID_PATTERN.fullmatch(typed) and not interbank else None,
                   "internal_id": HOLD_ACCOUNT_ID if request.held else SETTLEMENT_ACCOUNT_ID if interbank else None}
        if pipelines(connection):
            return self._transfer_pipelined(connection, request, key, amount_fen, fingerprint, parties, payer_id,
                                            interbank, number, typed)
        rows = lock_parties(connection, **parties)
        # Another PostgreSQL driver looks the key up only when needed: the entry's INSERT ... ON CONFLICT tells
        # whether the key was applied, and a refusal below checks it first (a resent request replays, even if it
        # would fail now). SQLite, whose writers run one at a time, looks it up here, under its write lock.
        lazy = skips_applied_keys(connection)
        if not lazy:
            applied = find_entry(connection, key)
            if applied is not None:
                return self._replayed(applied, fingerprint)
        try:
            plan = self._plan(connection, request, rows, payer_id, interbank, number, typed, amount_fen)
            return self._post(connection, request, key, amount_fen, fingerprint, plan, lazy)
        except CoreBankingError:
            applied = find_entry(connection, key) if lazy else None
            if applied is None:
                raise
            return self._replayed(applied, fingerprint)

    def _transfer_pipelined(self, connection: Connection, request: TransferRequest, key: str, amount_fen: int,
                            fingerprint: str, parties: dict, payer_id: str, interbank: bool, number: str,
                            typed: str) -> TransferResult:
        """PostgreSQL through psycopg. First one round trip that locks nothing: the parties and the key's entry
        (a resend answers from it). A transfer the checks allow is then one more: the locks, the guarded write
        and the COMMIT in one pipeline (posting.post_transfer_guarded), so no client work happens while the rows
        are locked. When that writes nothing (the rows changed since the read, the key was applied meanwhile), or
        the read's rows are refused, or the transfer is held: the locked path, which decides under the locks and
        says why: BEGIN, the locks, the key's lookup under them and the entry's id in one round trip, the entry,
        the outbox's rows and the COMMIT in a second one (_post). A refusal ends its transaction with COMMIT (it
        wrote nothing): a ROLLBACK would make psycopg forget the connection's prepared statements."""
        rows, stored, applied = read_parties_and_find(connection, idempotency_key=key, **parties)
        if applied is not None:
            commit_unwritten(connection)
            return self._replayed(applied, fingerprint)
        if not request.held:
            try:
                plan = self._plan(connection, request, rows, payer_id, interbank, number, typed, amount_fen)
            except CoreBankingError:
                plan = None  # decided again under the locks (the rows may have changed since this read)
            if plan is not None:
                created_at = utcnow()
                payer, payee = (Party(row.account_id, row.kind, *stored[row.account_id])
                                for row in (plan.payer, plan.payee))
                written = post_transfer_guarded(
                    connection, payer=payer, payee=payee, idempotency_key=key, request_hash=fingerprint,
                    kind=plan.kind, status=plan.status, amount_fen=amount_fen, legs=self._legs(plan, amount_fen),
                    created_at=created_at)
                if written is not None:
                    entry_id, payer_balance_after = written
                    return TransferResult(transfer_id=transfer_id(entry_id), status=plan.status,
                                          amount_fen=amount_fen, from_balance_after_fen=payer_balance_after,
                                          posted_at=created_at)
        rows, applied, entry_id = lock_parties_and_find(connection, idempotency_key=key, **parties)
        if applied is not None:
            commit_unwritten(connection)
            return self._replayed(applied, fingerprint)
        try:
            plan = self._plan(connection, request, rows, payer_id, interbank, number, typed, amount_fen)
        except CoreBankingError:
            commit_unwritten(connection)  # nothing was written: keep the prepared statements
            raise
        return self._post(connection, request, key, amount_fen, fingerprint, plan, lazy=True, entry_id=entry_id)

    def _plan(self, connection: Connection, request: TransferRequest, rows: list[Row], payer_id: str,
              interbank: bool, number: str, typed: str, amount_fen: int) -> "_Plan":
        """The refusals, from the parties' rows (refusing raises before anything is written), and what the
        entry will be."""
        payer = next((row for row in rows if row.account_id == payer_id), None)
        if payer is not None and payer.kind == KIND_CREDIT:
            raise AccountNotActive("信用卡不能用于转账，请使用借记卡")
        if payer is None or payer.kind != KIND_CUSTOMER:
            raise AccountNotFound()
        memo = (request.memo or "")[:MAX_MEMO_LENGTH]
        held = request.held
        hold_account = next((row for row in rows if row.account_id == HOLD_ACCOUNT_ID), None) if held else None
        if held and hold_account is None:
            raise CoreUnavailable("延时到账暂挂户未开设，请联系银行")
        if interbank:
            # a held transfer to another bank locks the hold account now, the settlement account at its release
            payee = next((row for row in rows if row.account_id == SETTLEMENT_ACCOUNT_ID), None) if not held \
                else self._settlement_row(connection)
            if not OTHER_BANK_ACCOUNT_PATTERN.fullmatch(number) or not (request.to_name or "").strip():
                raise PayeeNotFound()
            if payee is None:
                raise CoreUnavailable("跨行清算账户未开设，请联系银行")
            kind, status = ENTRY_INTERBANK, ENTRY_PENDING_SETTLEMENT
            payee_name, payee_number = (request.to_name or "").strip()[:64], number
        else:
            payee = next((row for row in rows if row.kind == KIND_CUSTOMER
                          and (row.card_number == number or row.account_id == typed)), None)
            if payee is None:
                raise PayeeNotFound()
            if payee.account_id == payer.account_id:
                raise SameAccount()
            if not _same_name(request.to_name, payee.holder_name):
                raise PayeeNameMismatch()
            kind, status = ENTRY_TRANSFER, ENTRY_POSTED
            payee_name, payee_number = payee.holder_name, payee.card_number or ""
        if payer.status != STATUS_ACTIVE:
            raise AccountNotActive()
        if payee.status != STATUS_ACTIVE:
            raise AccountNotActive("收款账户状态异常，无法入账")
        if payer.balance_fen < amount_fen:
            raise InsufficientFunds()
        return _Plan(payer, payee, kind, status, payee_name, payee_number, memo, hold_account)

    @staticmethod
    def _legs(plan: "_Plan", amount_fen: int) -> list[Leg]:
        payer, payee = plan.payer, plan.payee
        return [Leg(payer.account_id, -amount_fen, "transfer_out", plan.payee_name, plan.payee_number, plan.memo),
                Leg(payee.account_id, amount_fen, "transfer_in", payer.holder_name, payer.card_number or "",
                    plan.memo)]

    def _post(self, connection: Connection, request: TransferRequest, key: str, amount_fen: int, fingerprint: str,
              plan: "_Plan", lazy: bool, entry_id: int | None = None) -> TransferResult:
        payer, payee = plan.payer, plan.payee
        if request.held:
            result = hold_transfer(
                connection, key=key, fingerprint=fingerprint, payer=payer, hold_account=plan.hold_account,
                payee_account_id=payee.account_id, payee_name=plan.payee_name, payee_number=plan.payee_number,
                memo=plan.memo, amount_fen=amount_fen, unless_applied=lazy)
            return result if result is not None else self._replayed(find_entry(connection, key), fingerprint)
        created_at = utcnow()
        locked = {row.account_id: LockedAccount(row.account_id, row.kind, row.status, row.balance_fen)
                  for row in (payer, payee)}
        legs = self._legs(plan, amount_fen)
        kind, status = plan.kind, plan.status
        if entry_id is not None:  # PostgreSQL pipelines: the key was looked up under the locks, the id taken
            balances = append_entry_and_commit(
                connection, entry_id=entry_id, idempotency_key=key, request_hash=fingerprint, kind=kind,
                status=status, amount_fen=amount_fen, locked=locked, created_at=created_at, legs=legs)
        else:
            written = append_entry(
                connection, idempotency_key=key, request_hash=fingerprint, kind=kind, status=status,
                amount_fen=amount_fen, locked=locked, created_at=created_at, unless_applied=lazy, legs=legs)
            if written is None:  # the key was applied (perhaps by a concurrent request that just committed)
                return self._replayed(find_entry(connection, key), fingerprint)
            entry_id, balances = written
        return TransferResult(transfer_id=transfer_id(entry_id), status=status, amount_fen=amount_fen,
                              from_balance_after_fen=balances[payer.account_id], posted_at=created_at)

    @staticmethod
    def _replayed(applied: Row, fingerprint: str) -> TransferResult:
        if applied.request_hash != fingerprint or applied.kind not in (ENTRY_TRANSFER, ENTRY_INTERBANK, ENTRY_HELD):
            raise IdempotencyConflict()
        return TransferResult(transfer_id=transfer_id(applied.id), status=applied.status,
                              amount_fen=applied.amount_fen, from_balance_after_fen=applied.payer_balance_after_fen,
                              posted_at=applied.created_at, replayed=True)

    # --- credit cards --------------------------------------------------------------------------

    def credit_card(self, account_id: str) -> CreditCard:
        return self._read(lambda c: credit.credit_card(c, account_id))

    def credit_statements(self, account_id: str, limit: int = 6) -> list[CreditStatement]:
        limit = max(1, min(int(limit), credit.MAX_STATEMENTS))
        return self._read(lambda c: credit.statements(c, account_id, limit, transfer_id))

    def repay_credit_card(self, request: RepaymentRequest) -> RepaymentResult:
        amount_fen = _checked_amount(request.amount_fen)
        key = _checked_key(request.idempotency_key)
        try:
            return self._write(lambda c: credit.repay(c, request, key, amount_fen, transfer_id))
        except CoreUnavailable as exc:
            # The same key written at the same moment through other accounts (a forged resend): the unique key
            # refused the second; once more, it finds the first and answers the conflict.
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            return self._write(lambda c: credit.repay(c, request, key, amount_fen, transfer_id))

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _account_query():
        holder_name = Customer.name.label("holder_name")
        return (
            select(LedgerAccount.account_id, LedgerAccount.card_number, LedgerAccount.kind, LedgerAccount.status,
                   LedgerAccount.currency, LedgerAccount.label, holder_name, Branch.code.label("branch_code"))
            .outerjoin(Customer, Customer.id == LedgerAccount.customer_id)
            .outerjoin(Branch, Branch.id == Customer.branch_id)
        )

    @staticmethod
    def _settlement_row(connection: Connection) -> Row | None:
        return connection.execute(select(LedgerAccount.account_id, LedgerAccount.kind, LedgerAccount.status,
                                         LedgerAccount.balance_fen)
                                  .where(LedgerAccount.account_id == SETTLEMENT_ACCOUNT_ID)).first()

    def _account_row(self, connection: Connection, account_id: str) -> Row:
        row = connection.execute(self._account_query().where(LedgerAccount.account_id == account_id)).first()
        if row is None:
            raise AccountNotFound()
        return row

    @staticmethod
    def _account(row: Row) -> Account:
        return Account(account_id=row.account_id, card_number=row.card_number or "",
                       holder_name=row.holder_name or row.label or "", branch_code=row.branch_code or "",
                       status=row.status, currency=row.currency,
                       kind=CARD_CREDIT if row.kind == KIND_CREDIT else CARD_DEBIT)

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.engine.connect() as connection:
                return work(connection)
        except SQLAlchemyError as exc:
            log.warning("ledger read failed: %s", type(exc).__name__)
            raise CoreUnavailable() from exc

    def _write(self, work: Callable[[Connection], T]) -> T:
        try:
            return write_transaction(self.engine, work)
        except SQLAlchemyError as exc:
            log.warning("ledger transfer failed: %s", type(exc).__name__)
            raise CoreUnavailable() from exc
