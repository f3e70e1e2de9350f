"""The ledger's outbox port: who is told of the postings a journal entry makes, inside the entry's own
database transaction, so what they write commits or rolls back with the postings.

The ledger knows nothing of what is done with them; a feature registers a writer when it is installed (the
alerts feature writes one alert per posting on a customer account). Writers are process-wide: every app built
in a process installs the same features' code, and registering the same writer twice keeps one.
"""

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection

# writer(connection, entry_id, postings, customer_account_ids, created_at); postings are dicts with account_id,
# amount_fen, balance_after_fen, kind, counterparty_name, counterparty_account, memo, in leg order.
PostingWriter = Callable[[Connection, int, Sequence[dict], set[str], datetime], None]

_writers: list[PostingWriter] = []


def register_posting_writer(writer: PostingWriter) -> None:
    if writer not in _writers:
        _writers.append(writer)


def hand_over(connection: Connection, entry_id: int, postings: Sequence[dict], customer_accounts: set[str],
              created_at: datetime) -> None:
    """Called by the ledger after it wrote an entry, before the transaction commits."""
    for writer in _writers:
        writer(connection, entry_id, postings, customer_accounts, created_at)
