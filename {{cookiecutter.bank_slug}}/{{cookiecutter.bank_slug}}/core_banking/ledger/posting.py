"""Low-level posting: lock accounts, find an applied entry, append a balanced entry (and hand its postings to
the outbox writers, core_banking/outbox.py, in the same transaction).

These run inside `db.write_transaction`; the caller decides what is allowed. The statements are built once
(bound parameters) and a transfer costs few round trips: lock the two accounts, look up the key, write (on
PostgreSQL one statement writes the entry, its postings and the balances), the outbox's rows, commit.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, Row, TextClause, and_, bindparam, insert, or_, select, text, update

from ...shared import fieldcrypt
from .. import outbox
from ..models import Customer
from .models import CUSTOMER_KINDS, KIND_CUSTOMER, JournalEntry, LedgerAccount, Posting, card_key


@dataclass(frozen=True)
class Leg:
    """One posting to make: + credit (money in), - debit (money out)."""

    account_id: str
    amount_fen: int
    kind: str  # port.Transaction.kind
    counterparty_name: str = ""
    counterparty_account: str = ""
    memo: str = ""


@dataclass(frozen=True)
class LockedAccount:
    account_id: str
    kind: str
    status: str
    balance_fen: int


_LOCKED_COLUMNS = (LedgerAccount.account_id, LedgerAccount.kind, LedgerAccount.status, LedgerAccount.balance_fen)

# Rows come back, and are locked, in account-id order: A->B and B->A queue instead of deadlocking.
_LOCK_BY_ID = (select(*_LOCKED_COLUMNS)
               .where(LedgerAccount.account_id.in_(bindparam("account_ids", expanding=True)))
               .order_by(LedgerAccount.account_id))

# A transfer's payer (by id) and payee (a customer's card or account id, or an internal account by id),
# locked in one round trip, with what the checks need.
_LOCK_PARTIES = (
    select(*_LOCKED_COLUMNS, LedgerAccount.card_number, Customer.name.label("holder_name"))
    .outerjoin(Customer, Customer.id == LedgerAccount.customer_id)
    .where(or_(
        LedgerAccount.account_id == bindparam("payer_id"),
        and_(LedgerAccount.kind == KIND_CUSTOMER, or_(LedgerAccount.card_number_hash == bindparam("payee_card"),
                                                      LedgerAccount.account_id == bindparam("payee_account_id"))),
        LedgerAccount.account_id == bindparam("internal_id"),
    ))
    .order_by(LedgerAccount.account_id)
)

_PAYER_BALANCE_AFTER = (
    select(Posting.balance_after_fen)
    .where(Posting.entry_id == JournalEntry.id, Posting.amount_fen < 0)
    .order_by(Posting.id)
    .limit(1)
    .scalar_subquery()
)
_FIND_ENTRY = select(
    JournalEntry.id, JournalEntry.request_hash, JournalEntry.kind, JournalEntry.status, JournalEntry.amount_fen,
    JournalEntry.created_at, _PAYER_BALANCE_AFTER.label("payer_balance_after_fen"),
).where(JournalEntry.idempotency_key == bindparam("key"))

_BALANCE_TABLE = LedgerAccount.__table__
_SET_BALANCE = (update(_BALANCE_TABLE).where(_BALANCE_TABLE.c.account_id == bindparam("target"))
                .values(balance_fen=bindparam("balance")))


# Built once: a statement made per call (with_for_update returns a new one) pays for its cache key every time.
_LOCK_BY_ID_FOR_UPDATE = _LOCK_BY_ID.with_for_update(of=LedgerAccount)
_LOCK_PARTIES_FOR_UPDATE = _LOCK_PARTIES.with_for_update(of=LedgerAccount)
_INSERT_ENTRY = insert(JournalEntry)
_INSERT_POSTINGS = insert(Posting)


def _for_update(connection: Connection, plain, locking):
    # SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE)
    return plain if connection.dialect.name == "sqlite" else locking


def lock_accounts(connection: Connection, account_ids: list[str]) -> dict[str, LockedAccount]:
    """Lock the rows (SELECT ... FOR UPDATE) in account-id order."""
    rows = connection.execute(_for_update(connection, _LOCK_BY_ID, _LOCK_BY_ID_FOR_UPDATE),
                              {"account_ids": sorted(set(account_ids))})
    return {row.account_id: LockedAccount(*row) for row in rows}


def lock_parties(connection: Connection, *, payer_id: str, payee_card: str | None = None,
                 payee_account_id: str | None = None, internal_id: str | None = None) -> list[Row]:
    """Lock the payer and the payee in one statement, in account-id order; rows have the locked
    columns plus card_number and holder_name. Which row is which is the caller's to sort out. The payee's card
    is matched by its lookup hash (card numbers are encrypted at rest)."""
    return list(connection.execute(_for_update(connection, _LOCK_PARTIES, _LOCK_PARTIES_FOR_UPDATE), {
        "payer_id": payer_id, "payee_card": card_key(payee_card) if payee_card else None,
        "payee_account_id": payee_account_id,
        "internal_id": internal_id,
    }))


def find_entry(connection: Connection, idempotency_key: str) -> Row | None:
    """The entry applied under this key, with the first debit's balance after (the payer's)."""
    return connection.execute(_FIND_ENTRY, {"key": idempotency_key}).first()


def skips_applied_keys(connection: Connection) -> bool:
    """True where append_entry(..., unless_applied=True) is available: PostgreSQL's INSERT ... ON CONFLICT
    in the one-statement write lets a caller skip the key lookup before writing (one round trip less)."""
    return connection.dialect.name == "postgresql"


def append_entry(connection: Connection, *, idempotency_key: str, request_hash: str, kind: str, status: str,
                 amount_fen: int, legs: list[Leg], locked: dict[str, LockedAccount],
                 created_at: datetime, unless_applied: bool = False) -> tuple[int, dict[str, int]] | None:
    """Insert the entry and its postings, move the locked balances and hand the postings to the outbox.
    Returns the entry id and each account's balance after. With `unless_applied` (PostgreSQL only, see
    skips_applied_keys) an entry already applied under the key (or committed meanwhile by a concurrent unit)
    makes it write nothing and return None: the caller then replays that entry (find_entry)."""
    if len(legs) < 2 or sum(leg.amount_fen for leg in legs) != 0:
        raise ValueError("a journal entry needs at least two postings that sum to zero")
    balances = {account_id: account.balance_fen for account_id, account in locked.items()}
    postings = []
    for leg in legs:
        balances[leg.account_id] += leg.amount_fen
        postings.append({
            "account_id": leg.account_id, "amount_fen": leg.amount_fen,
            "balance_after_fen": balances[leg.account_id], "kind": leg.kind,
            "counterparty_name": leg.counterparty_name, "counterparty_account": leg.counterparty_account,
            "memo": leg.memo,
        })
    moved = {account_id: balances[account_id] for account_id in sorted({leg.account_id for leg in legs})}
    entry = {"idempotency_key": idempotency_key, "request_hash": request_hash, "kind": kind, "status": status,
             "amount_fen": amount_fen, "created_at": created_at}
    if connection.dialect.name == "postgresql":
        entry_id = _write_in_one_statement(connection, entry, postings, moved, unless_applied)
        if entry_id is None:
            return None
    else:
        if unless_applied:
            raise ValueError("unless_applied needs PostgreSQL (skips_applied_keys)")
        entry_id = connection.execute(_INSERT_ENTRY, entry).inserted_primary_key[0]
        connection.execute(_INSERT_POSTINGS, [{"entry_id": entry_id, **posting} for posting in postings])
        connection.execute(_SET_BALANCE, [{"target": target, "balance": balance} for target, balance in moved.items()])
    customers = {account_id for account_id, account in locked.items() if account.kind in CUSTOMER_KINDS}
    outbox.hand_over(connection, entry_id, postings, customers, created_at)
    return entry_id, balances


_POSTING_FIELDS = ("account_id", "amount_fen", "balance_after_fen", "kind", "counterparty_name",
                   "counterparty_account", "memo")
_POSTING_TYPES = ("varchar", "bigint", "bigint", "varchar", "varchar", "varchar", "varchar")


_ENCRYPTED_POSTING_FIELDS = ("counterparty_name", "counterparty_account")  # EncryptedText in the model


def _stored(field: str, value):
    """A posting's value as the table keeps it: the textual statement below bypasses the column types, so the
    encrypted columns are encrypted here (the postings handed to the outbox stay in clear, in memory)."""
    if field in _ENCRYPTED_POSTING_FIELDS and value:
        return fieldcrypt.current().encrypt(value)
    return value


@cache
def _one_statement_write(postings: int, accounts: int, unless_applied: bool) -> TextClause:
    """PostgreSQL: the entry, its postings (numbered in leg order) and the new balances in one statement
    (data-modifying CTEs), so a transfer pays one round trip for its ledger writes. `unless_applied`: the
    entry is inserted ON CONFLICT (idempotency_key) DO NOTHING (waiting, as any insert does, for a concurrent
    unit holding the key to finish), and when nothing was inserted no posting or balance is written."""
    on_conflict = "ON CONFLICT (idempotency_key) DO NOTHING" if unless_applied else ""
    only_if_written = "AND EXISTS (SELECT 1 FROM entry)" if unless_applied else ""
    legs = ", ".join(
        "(" + ", ".join(f"CAST(:p{n}_{field} AS {type_})" for field, type_ in zip(_POSTING_FIELDS, _POSTING_TYPES,
                                                                                   strict=True)) + f", {n})"
        for n in range(postings))
    balances = ", ".join(f"(CAST(:b{n}_account AS varchar), CAST(:b{n}_balance AS bigint))" for n in range(accounts))
    fields = ", ".join(_POSTING_FIELDS)
    return text(f"""
        WITH entry AS (
            INSERT INTO ledger_journal_entry (idempotency_key, request_hash, kind, status, amount_fen, created_at)
            VALUES (:idempotency_key, :request_hash, :kind, :status, :amount_fen, :created_at)
            {on_conflict}
            RETURNING id
        ), legs AS (
            INSERT INTO ledger_posting (entry_id, {fields})
            SELECT entry.id, {", ".join(f"leg.{field}" for field in _POSTING_FIELDS)}
            FROM entry CROSS JOIN (VALUES {legs}) AS leg ({fields}, position)
            ORDER BY leg.position
        ), moved AS (
            UPDATE ledger_account SET balance_fen = new.balance_fen
            FROM (VALUES {balances}) AS new (account_id, balance_fen)
            WHERE ledger_account.account_id = new.account_id {only_if_written}
        )
        SELECT id FROM entry
    """)


def _write_in_one_statement(connection: Connection, entry: dict, postings: list[dict], moved: dict[str, int],
                            unless_applied: bool = False) -> int | None:
    params = dict(entry)
    for n, posting in enumerate(postings):
        params.update({f"p{n}_{field}": _stored(field, posting[field]) for field in _POSTING_FIELDS})
    for n, (account_id, balance) in enumerate(moved.items()):
        params.update({f"b{n}_account": account_id, f"b{n}_balance": balance})
    return connection.execute(_one_statement_write(len(postings), len(moved), unless_applied), params).scalar()
