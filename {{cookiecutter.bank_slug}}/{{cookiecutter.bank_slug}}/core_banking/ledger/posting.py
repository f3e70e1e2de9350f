"""Low-level posting: lock accounts, find an applied entry, append a balanced entry (and hand its postings to
the outbox writers, core_banking/outbox.py, in the same transaction).

These run inside `db.write_transaction`; the caller decides what is allowed. The statements are built once
(bound parameters) and a transfer costs few round trips. PostgreSQL through psycopg (`pipelines`): two, each a
psycopg pipeline: BEGIN, the locks on both accounts, the key's lookup under them and the entry's id
(lock_parties_and_find); then the entry with its postings and balances in one statement, the outbox's rows and
the COMMIT (append_entry_and_commit), so the rows stay locked while the client works only once. Elsewhere: lock,
look the key up, write, the outbox's rows, commit.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, Engine, Row, TextClause, and_, bindparam, exists, insert, or_, select, text, update
from sqlalchemy.exc import DBAPIError

from ...shared import fieldcrypt
from .. import outbox
from ..models import Customer
from .models import CUSTOMER_KINDS, KIND_CUSTOMER, STATUS_ACTIVE, JournalEntry, LedgerAccount, Posting, card_key


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
# lock_parties_and_find: the same, but none of them when the key was already applied (a resend replays
# without queueing on the accounts)
_LOCK_PARTIES_UNLESS_APPLIED = (
    _LOCK_PARTIES.where(~exists().where(JournalEntry.idempotency_key == bindparam("key")))
    .with_for_update(of=LedgerAccount)
)
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


def pipelines(connection: Connection | Engine) -> bool:
    """True where the transfer's statements go out as psycopg pipelines (lock_parties_and_find,
    append_entry_and_commit, commit_unwritten): PostgreSQL through psycopg 3."""
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


@cache
def _raw_sql(statement) -> tuple[str, object]:
    """A Core statement compiled once for psycopg itself (its %(name)s placeholders), with its compiled form
    to fill in the parameters (literals such as KIND_CUSTOMER are bound parameters)."""
    from sqlalchemy.dialects.postgresql.psycopg import dialect

    compiled = statement.compile(dialect=dialect())
    return str(compiled), compiled


def _raw_params(statement, values: dict) -> dict:
    return _raw_sql(statement)[1].construct_params(values)


_NEXT_ENTRY_ID = "SELECT nextval(pg_get_serial_sequence('ledger_journal_entry', 'id'))"


def lock_parties_and_find(connection: Connection, *, idempotency_key: str, payer_id: str,
                          payee_card: str | None = None, payee_account_id: str | None = None,
                          internal_id: str | None = None) -> tuple[list, Row | None, int]:
    """PostgreSQL (see `pipelines`): BEGIN, lock_parties, then find_entry under those locks, and an entry id
    from the entries' sequence, sent as one psycopg pipeline: one round trip. The statements run in that order,
    so the key lookup sees an entry committed by a concurrent request with the same key that held the locks
    first (READ COMMITTED: each statement its own snapshot); a key already applied when the locking statement
    starts locks nothing (a resend does not queue on the accounts). Returns (the locked rows as lock_parties
    gives them, with card_number and holder_name decrypted; the applied entry or None, and then the rows are
    not to be used; the id the entry will have).
    An id taken by a request that then replays or is refused is never used (transfer ids have gaps, as they
    had after any rollback)."""
    from psycopg.rows import namedtuple_row

    lock_sql, _ = _raw_sql(_LOCK_PARTIES_UNLESS_APPLIED)
    find_sql, _ = _raw_sql(_FIND_ENTRY)
    lock_values = _raw_params(_LOCK_PARTIES_UNLESS_APPLIED, {
        "payer_id": payer_id, "payee_card": card_key(payee_card) if payee_card else None,
        "payee_account_id": payee_account_id, "internal_id": internal_id, "key": idempotency_key})
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():
            locking = driver.cursor(row_factory=namedtuple_row)
            locking.execute(lock_sql, lock_values)
            finding = driver.cursor(row_factory=namedtuple_row)
            finding.execute(find_sql, _raw_params(_FIND_ENTRY, {"key": idempotency_key}))
            numbering = driver.cursor()
            numbering.execute(_NEXT_ENTRY_ID)
        locked, applied, (entry_id,) = locking.fetchall(), finding.fetchone(), numbering.fetchone()
    except driver_errors() as exc:  # as SQLAlchemy raises them: the caller's retry and error handling apply
        raise DBAPIError.instance(lock_sql, lock_values, exc, driver_errors()) from exc
    keyring = fieldcrypt.current()
    rows = [row._replace(card_number=_opened(keyring, row.card_number), holder_name=_opened(keyring, row.holder_name))
            for row in locked]
    return rows, applied, entry_id


def read_parties_and_find(connection: Connection, *, idempotency_key: str, payer_id: str,
                          payee_card: str | None = None, payee_account_id: str | None = None,
                          internal_id: str | None = None) -> tuple[list, dict[str, tuple], Row | None]:
    """PostgreSQL (see `pipelines`): BEGIN, the parties as lock_parties finds them but unlocked, and the key's
    entry, as one psycopg pipeline: one round trip that queues on no row. Returns (the rows with card_number and
    holder_name decrypted; each row's (card_number, holder_name) as stored, for post_transfer_guarded to check
    that they are still so under the locks; the applied entry or None)."""
    from psycopg.rows import namedtuple_row

    read_sql, _ = _raw_sql(_LOCK_PARTIES)
    find_sql, _ = _raw_sql(_FIND_ENTRY)
    read_values = _raw_params(_LOCK_PARTIES, {
        "payer_id": payer_id, "payee_card": card_key(payee_card) if payee_card else None,
        "payee_account_id": payee_account_id, "internal_id": internal_id})
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():
            reading = driver.cursor(row_factory=namedtuple_row)
            reading.execute(read_sql, read_values)
            finding = driver.cursor(row_factory=namedtuple_row)
            finding.execute(find_sql, _raw_params(_FIND_ENTRY, {"key": idempotency_key}))
        found, applied = reading.fetchall(), finding.fetchone()
    except driver_errors() as exc:
        raise DBAPIError.instance(read_sql, read_values, exc, driver_errors()) from exc
    keyring = fieldcrypt.current()
    stored = {row.account_id: (row.card_number, row.holder_name) for row in found}
    rows = [row._replace(card_number=_opened(keyring, row.card_number), holder_name=_opened(keyring, row.holder_name))
            for row in found]
    return rows, stored, applied


@dataclass(frozen=True)
class Party:
    """A party of a guarded transfer as an unlocked read saw it: the write happens only if, under the locks, the
    account still has this kind, is active, and has this card number and holder name as stored (encrypted)."""

    account_id: str
    kind: str
    stored_card_number: str | None
    stored_holder_name: str | None


_LOCK_TWO = ("SELECT account_id FROM ledger_account WHERE account_id IN (%(first)s, %(second)s) "
             "ORDER BY account_id FOR UPDATE")

# A transfer (payer -> payee, two postings) written only if the guard holds, in one statement: the entry, the
# balances (moved by the database: balance_fen + amount, returned), the postings with those balances after, the
# outbox writers' rows over `posted`; it returns the entry's id and the payer's balance after, or no row.
_GUARDED_TRANSFER = """
WITH guard AS (
    SELECT 1 AS ok
    FROM ledger_account payer
    JOIN ledger_account payee ON payee.account_id = %(payee_id)s
    LEFT JOIN bank_customer payer_holder ON payer_holder.id = payer.customer_id
    LEFT JOIN bank_customer payee_holder ON payee_holder.id = payee.customer_id
    WHERE payer.account_id = %(payer_id)s
      AND payer.kind = %(payer_kind)s AND payer.status = %(active)s
      AND payer.balance_fen >= CAST(%(amount_fen)s AS bigint)
      AND payer.card_number IS NOT DISTINCT FROM CAST(%(payer_card)s AS text)
      AND payer_holder.name IS NOT DISTINCT FROM CAST(%(payer_name)s AS text)
      AND payee.kind = %(payee_kind)s AND payee.status = %(active)s
      AND payee.card_number IS NOT DISTINCT FROM CAST(%(payee_card)s AS text)
      AND payee_holder.name IS NOT DISTINCT FROM CAST(%(payee_name)s AS text)
), entry AS (
    INSERT INTO ledger_journal_entry (idempotency_key, request_hash, kind, status, amount_fen, created_at)
    SELECT %(idempotency_key)s, %(request_hash)s, %(kind)s, %(status)s, CAST(%(amount_fen)s AS bigint),
           CAST(%(created_at)s AS timestamp)
    FROM guard
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id
), moved AS (
    UPDATE ledger_account SET balance_fen = ledger_account.balance_fen + leg.amount_fen
    FROM entry, (VALUES (CAST(%(payer_id)s AS varchar), -CAST(%(amount_fen)s AS bigint)),
                        (CAST(%(payee_id)s AS varchar), CAST(%(amount_fen)s AS bigint))) AS leg (account_id, amount_fen)
    WHERE ledger_account.account_id = leg.account_id
    RETURNING ledger_account.account_id, ledger_account.balance_fen
), legs AS (
    INSERT INTO ledger_posting (entry_id, account_id, amount_fen, balance_after_fen, kind, counterparty_name,
                                counterparty_account, memo)
    SELECT entry.id, leg.account_id, leg.amount_fen, moved.balance_fen, leg.kind, leg.counterparty_name,
           leg.counterparty_account, leg.memo
    FROM entry
    CROSS JOIN (VALUES (CAST(%(payer_id)s AS varchar), -CAST(%(amount_fen)s AS bigint), CAST(%(p0_kind)s AS varchar),
                        CAST(%(p0_counterparty_name)s AS text), CAST(%(p0_counterparty_account)s AS text),
                        CAST(%(memo)s AS varchar), 0),
                       (CAST(%(payee_id)s AS varchar), CAST(%(amount_fen)s AS bigint), CAST(%(p1_kind)s AS varchar),
                        CAST(%(p1_counterparty_name)s AS text), CAST(%(p1_counterparty_account)s AS text),
                        CAST(%(memo)s AS varchar), 1))
        AS leg (account_id, amount_fen, kind, counterparty_name, counterparty_account, memo, position)
    JOIN moved ON moved.account_id = leg.account_id
    ORDER BY leg.position
    RETURNING id, entry_id, account_id, amount_fen, balance_after_fen, kind
), posted AS (
    SELECT entry_id, CAST(row_number() OVER (ORDER BY id) - 1 AS integer) AS position, account_id, amount_fen,
           balance_after_fen, kind
    FROM legs
){outbox}
SELECT entry.id, moved.balance_fen FROM entry JOIN moved ON moved.account_id = %(payer_id)s
"""


@cache
def _guarded_transfer_sql(outbox_statements: tuple[str, ...]) -> str:
    return _GUARDED_TRANSFER.format(outbox="".join(
        f", outbox_{n} AS (\n    {statement}\n)\n" for n, statement in enumerate(outbox_statements)))


def post_transfer_guarded(connection: Connection, *, payer: Party, payee: Party, idempotency_key: str,
                          request_hash: str, kind: str, status: str, amount_fen: int, legs: list[Leg],
                          created_at: datetime) -> tuple[int, int] | None:
    """PostgreSQL (see `pipelines`): a transfer with no client round trip while its rows are locked. One psycopg
    pipeline: the two accounts locked (in account-id order), the guarded write (_GUARDED_TRANSFER: the entry,
    postings, balances and the outbox writers' rows, only if the payer has the amount, both are active and as
    `payer`/`payee` say, and the key is not taken), the COMMIT. Returns (the entry's id, the payer's balance
    after), or None when nothing was written: a guard failed or the key was applied meanwhile (the transaction
    is then committed, having written nothing), or an outbox writer has no SQL form for these postings (nothing
    was sent). The caller then takes the locked path, which says why. `legs` are the payer's debit and the
    payee's credit of `amount_fen`, in that order. A database error raises as SQLAlchemy raises it, with
    nothing written."""
    debit, credit_leg = legs
    if (debit.account_id, credit_leg.account_id) != (payer.account_id, payee.account_id) \
            or debit.amount_fen != -amount_fen or credit_leg.amount_fen != amount_fen or _memo_differs(legs):
        raise ValueError("a guarded transfer is the payer's debit and the payee's credit of the amount")
    postings = [{"account_id": leg.account_id, "amount_fen": leg.amount_fen, "kind": leg.kind,
                 "counterparty_name": leg.counterparty_name, "counterparty_account": leg.counterparty_account,
                 "memo": leg.memo} for leg in legs]
    customers = {party.account_id for party in (payer, payee) if party.kind in CUSTOMER_KINDS}
    statements = outbox.sql_over_postings(postings, customers, created_at)
    if statements is None:
        return None
    keyring = fieldcrypt.current()
    params = {
        "payer_id": payer.account_id, "payee_id": payee.account_id, "payer_kind": payer.kind,
        "payee_kind": payee.kind, "active": STATUS_ACTIVE, "amount_fen": amount_fen,
        "payer_card": payer.stored_card_number, "payer_name": payer.stored_holder_name,
        "payee_card": payee.stored_card_number, "payee_name": payee.stored_holder_name,
        "idempotency_key": idempotency_key, "request_hash": request_hash, "kind": kind, "status": status,
        "created_at": created_at, "memo": debit.memo,
    }
    for n, leg in enumerate(legs):
        params[f"p{n}_kind"] = leg.kind
        params[f"p{n}_counterparty_name"] = _stored(keyring, "counterparty_name", leg.counterparty_name)
        params[f"p{n}_counterparty_account"] = _stored(keyring, "counterparty_account", leg.counterparty_account)
    for statement in statements:
        params.update(statement.params)
    sql = _guarded_transfer_sql(tuple(statement.sql for statement in statements))
    first, second = sorted((payer.account_id, payee.account_id))
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():  # one Sync at its end: one round trip, the locks held only inside the server
            driver.cursor().execute(_LOCK_TWO, {"first": first, "second": second})
            writing = driver.cursor()
            writing.execute(sql, params)
            driver.cursor().execute("COMMIT")  # as in append_entry_and_commit
        written = writing.fetchone()
    except driver_errors() as exc:
        raise DBAPIError.instance(sql, params, exc, driver_errors()) from exc
    return None if written is None else (written[0], written[1])


def _memo_differs(legs: list[Leg]) -> bool:
    return len({leg.memo for leg in legs}) != 1


def commit_unwritten(connection: Connection) -> None:
    """End, with COMMIT, a transaction of lock_parties_and_find that wrote nothing (a resend: it locked nothing
    either). Not a ROLLBACK, which the pool's reset on return would send: psycopg forgets the connection's
    prepared statements on every ROLLBACK (and sends DEALLOCATE ALL), and the server would plan the transfer's
    statements again on the next five uses."""
    driver = connection.connection.driver_connection
    try:
        driver.commit()
    except driver_errors() as exc:
        raise DBAPIError.instance("COMMIT", {}, exc, driver_errors()) from exc


def driver_errors() -> type[Exception]:
    import psycopg

    return psycopg.Error


def _opened(keyring: fieldcrypt.Keyring, value: str | None) -> str | None:
    """What EncryptedText gives back for a stored value (the raw driver does not apply column types)."""
    return keyring.decrypt(value) if fieldcrypt.is_token(value) else value


def find_entry(connection: Connection, idempotency_key: str) -> Row | None:
    """The entry applied under this key, with the first debit's balance after (the payer's)."""
    return connection.execute(_FIND_ENTRY, {"key": idempotency_key}).first()


def skips_applied_keys(connection: Connection) -> bool:
    """True where append_entry(..., unless_applied=True) is available: PostgreSQL's INSERT ... ON CONFLICT
    in the one-statement write lets a caller skip the key lookup before writing (one round trip less)."""
    return connection.dialect.name == "postgresql"


def _postings(legs: list[Leg], locked: dict[str, LockedAccount]) -> tuple[list[dict], dict[str, int], dict[str, int]]:
    """The postings of the legs (in leg order), each account's balance after, and the moved balances."""
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
    return postings, balances, moved


def _customers(locked: dict[str, LockedAccount]) -> set[str]:
    return {account_id for account_id, account in locked.items() if account.kind in CUSTOMER_KINDS}


def append_entry(connection: Connection, *, idempotency_key: str, request_hash: str, kind: str, status: str,
                 amount_fen: int, legs: list[Leg], locked: dict[str, LockedAccount],
                 created_at: datetime, unless_applied: bool = False) -> tuple[int, dict[str, int]] | None:
    """Insert the entry and its postings, move the locked balances and hand the postings to the outbox.
    Returns the entry id and each account's balance after. With `unless_applied` (PostgreSQL only, see
    skips_applied_keys) an entry already applied under the key (or committed meanwhile by a concurrent unit)
    makes it write nothing and return None: the caller then replays that entry (find_entry)."""
    postings, balances, moved = _postings(legs, locked)
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
    outbox.hand_over(connection, entry_id, postings, _customers(locked), created_at)
    return entry_id, balances


def append_entry_and_commit(connection: Connection, *, entry_id: int, idempotency_key: str, request_hash: str,
                            kind: str, status: str, amount_fen: int, legs: list[Leg],
                            locked: dict[str, LockedAccount], created_at: datetime) -> dict[str, int]:
    """PostgreSQL (see `pipelines`), after lock_parties_and_find found no entry under the key: append_entry
    with the id taken there, then COMMIT, sent as one psycopg pipeline (the entry, its postings and balances
    in one statement, the outbox writers' statements, the COMMIT): the rows stay locked for one round trip.
    Returns each account's balance after. The outbox writers only write here (a query's rows are not there
    until the pipeline syncs: reading them raises). A database error (a CHECK, the balanced-entry trigger, a
    concurrent request that applied the same key with another payload first) raises from the COMMIT as
    SQLAlchemy raises it, with nothing written."""
    postings, balances, moved = _postings(legs, locked)
    params = {"entry_id": entry_id, "idempotency_key": idempotency_key, "request_hash": request_hash, "kind": kind,
              "status": status, "amount_fen": amount_fen, "created_at": created_at}
    _add_rows(params, postings, moved)
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():  # its end sends the one Sync and waits for every result: one round trip
            connection.exec_driver_sql(_raw_sql(_one_statement_write(len(postings), len(moved), False, True))[0],
                                       params)
            outbox.hand_over(connection, entry_id, postings, _customers(locked), created_at)
            # the driver's own COMMIT (Connection.commit would sync here, and the pipeline's end again); the
            # caller's commit afterwards finds the transaction closed and sends nothing
            driver.cursor().execute("COMMIT")
    except driver_errors() as exc:  # as SQLAlchemy raises them: the caller's retry and error handling apply
        raise DBAPIError.instance("COMMIT", {}, exc, driver_errors()) from exc
    return balances


_POSTING_FIELDS = ("account_id", "amount_fen", "balance_after_fen", "kind", "counterparty_name",
                   "counterparty_account", "memo")
_POSTING_TYPES = ("varchar", "bigint", "bigint", "varchar", "varchar", "varchar", "varchar")


_ENCRYPTED_POSTING_FIELDS = ("counterparty_name", "counterparty_account")  # EncryptedText in the model


def _stored(keyring: fieldcrypt.Keyring, field: str, value):
    """A posting's value as the table keeps it: the textual statement below bypasses the column types, so the
    encrypted columns are encrypted here (the postings handed to the outbox stay in clear, in memory)."""
    if field in _ENCRYPTED_POSTING_FIELDS and value:
        return keyring.encrypt(value)
    return value


@cache
def _one_statement_write(postings: int, accounts: int, unless_applied: bool, numbered: bool = False) -> TextClause:
    """PostgreSQL: the entry, its postings (numbered in leg order) and the new balances in one statement
    (data-modifying CTEs), so a transfer pays one round trip for its ledger writes. `unless_applied`: the
    entry is inserted ON CONFLICT (idempotency_key) DO NOTHING (waiting, as any insert does, for a concurrent
    unit holding the key to finish), and when nothing was inserted no posting or balance is written. `numbered`:
    the entry's id is the parameter entry_id (taken from the sequence beforehand) and nothing is returned."""
    on_conflict = "ON CONFLICT (idempotency_key) DO NOTHING" if unless_applied else ""
    only_if_written = "AND EXISTS (SELECT 1 FROM entry)" if unless_applied else ""
    legs = ", ".join(
        "(" + ", ".join(f"CAST(:p{n}_{field} AS {type_})" for field, type_ in zip(_POSTING_FIELDS, _POSTING_TYPES,
                                                                                   strict=True)) + f", {n})"
        for n in range(postings))
    balances = ", ".join(f"(CAST(:b{n}_account AS varchar), CAST(:b{n}_balance AS bigint))" for n in range(accounts))
    fields = ", ".join(_POSTING_FIELDS)
    if numbered:
        return text(f"""
            WITH entry AS (
                INSERT INTO ledger_journal_entry (id, idempotency_key, request_hash, kind, status, amount_fen,
                                                  created_at)
                VALUES (:entry_id, :idempotency_key, :request_hash, :kind, :status, :amount_fen, :created_at)
            ), legs AS (
                INSERT INTO ledger_posting (entry_id, {fields})
                SELECT CAST(:entry_id AS bigint), {", ".join(f"leg.{field}" for field in _POSTING_FIELDS)}
                FROM (VALUES {legs}) AS leg ({fields}, position)
                ORDER BY leg.position
            )
            UPDATE ledger_account SET balance_fen = new.balance_fen
            FROM (VALUES {balances}) AS new (account_id, balance_fen)
            WHERE ledger_account.account_id = new.account_id
        """)
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
    _add_rows(params, postings, moved)
    return connection.execute(_one_statement_write(len(postings), len(moved), unless_applied), params).scalar()


def _add_rows(params: dict, postings: list[dict], moved: dict[str, int]) -> None:
    keyring = fieldcrypt.current()
    for n, posting in enumerate(postings):
        params.update({f"p{n}_{field}": _stored(keyring, field, posting[field]) for field in _POSTING_FIELDS})
    for n, (account_id, balance) in enumerate(moved.items()):
        params.update({f"b{n}_account": account_id, f"b{n}_balance": balance})
