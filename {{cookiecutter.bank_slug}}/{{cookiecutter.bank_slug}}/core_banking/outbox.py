"""The ledger's outbox port: who is told of the postings a journal entry makes, inside the entry's own
database transaction, so what they write commits or rolls back with the postings.

The ledger knows nothing of what is done with them; a feature registers a writer when it is installed (the
alerts feature writes one alert per posting on a customer account). Writers are process-wide: every app built
in a process installs the same features' code, and registering the same writer twice keeps one.

A writer may also have a SQL form (`sql_writer`): a statement over the postings as the database inserted them,
which the ledger runs inside its own write statement (PostgreSQL through psycopg: a transfer's guarded write,
ledger/posting.py post_transfer_guarded), so the entry, its postings, the balances and what the writers write
are one statement whose values the client never waits for. A writer without one (or one that declines some
postings) makes the ledger take its Python path for that entry (`hand_over`).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

# writer(connection, entry_id, postings, customer_account_ids, created_at); postings are dicts with account_id,
# amount_fen, balance_after_fen, kind, counterparty_name, counterparty_account, memo, in leg order.
PostingWriter = Callable[[Connection, int, Sequence[dict], set[str], datetime], None]


@dataclass(frozen=True)
class PostedSql:
    """What a writer's SQL form gives: a data-modifying statement (INSERT ... SELECT ... FROM posted ...) in
    psycopg's %(name)s placeholders, every name starting with the prefix it was given, over the relation
    `posted` (entry_id bigint, position integer: the posting's place in leg order from 0, account_id,
    amount_fen, balance_after_fen, kind: the postings as inserted, balances after them). An empty `sql` writes
    nothing. Its text should depend only on the shape of the entry (a prepared statement is reused)."""

    sql: str
    params: dict = field(default_factory=dict)


# sql_writer(postings, customer_account_ids, created_at, prefix) -> PostedSql, or None for "no SQL form for
# these postings"; postings are dicts as PostingWriter's without balance_after_fen (the database computes it).
PostingSqlWriter = Callable[[Sequence[dict], set[str], datetime, str], PostedSql | None]

_writers: list[PostingWriter] = []
_sql_writers: dict[PostingWriter, PostingSqlWriter | None] = {}


def register_posting_writer(writer: PostingWriter, sql_writer: PostingSqlWriter | None = None) -> None:
    if writer not in _writers:
        _writers.append(writer)
    _sql_writers[writer] = sql_writer


def hand_over(connection: Connection, entry_id: int, postings: Sequence[dict], customer_accounts: set[str],
              created_at: datetime) -> None:
    """Called by the ledger after it wrote an entry, before the transaction commits."""
    for writer in _writers:
        writer(connection, entry_id, postings, customer_accounts, created_at)


def sql_over_postings(postings: Sequence[dict], customer_accounts: set[str],
                      created_at: datetime) -> list[PostedSql] | None:
    """Every writer's SQL form for an entry about to be written (the statements that write something), or None
    when a writer has none for these postings: the ledger then writes the entry and calls `hand_over`."""
    statements = []
    for n, writer in enumerate(_writers):
        sql_writer = _sql_writers.get(writer)
        written = sql_writer(postings, customer_accounts, created_at, f"o{n}_") if sql_writer else None
        if written is None:
            return None
        if written.sql:
            statements.append(written)
    return statements
