"""Transactions reported by the bank's core (API push or end-of-day CSV) into the outbox, inside the
caller's database transaction: every item gets a result (stored, duplicate or refused with a reason)
and the stored ones commit together."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...core_banking.ledger.models import CUSTOMER_KINDS, LedgerAccount
from ..binding.service import CardBinding
from .items import CoreTransaction, ItemError, parse_item
from .models import SOURCE_CORE, Alert

STORED = "stored"
DUPLICATE = "duplicate"
REFUSED = "refused"


@dataclass(frozen=True)
class ItemResult:
    index: int  # position in the batch (API) or line number (CSV)
    transaction_id: str | None
    status: str
    reason: str = ""

    def to_json(self) -> dict:
        data = {"index": self.index, "transaction_id": self.transaction_id, "status": self.status}
        if self.reason:
            data["reason"] = self.reason
        return data


def _known_accounts(connection: Connection, account_ids: set[str], ledger: bool) -> set[str]:
    """Accounts this service knows: ever bound here, or (built-in ledger) customer accounts of the ledger."""
    if not account_ids:
        return set()
    known = set(connection.scalars(select(CardBinding.account_id).where(CardBinding.account_id.in_(account_ids))))
    if ledger:
        known |= set(connection.scalars(select(LedgerAccount.account_id).where(
            LedgerAccount.account_id.in_(account_ids - known), LedgerAccount.kind.in_(CUSTOMER_KINDS))))
    return known


def _stored_hashes(connection: Connection, transaction_ids: set[str]) -> dict[str, str]:
    if not transaction_ids:
        return {}
    rows = connection.execute(select(Alert.source_txn_id, Alert.request_hash).where(
        Alert.source == SOURCE_CORE, Alert.source_txn_id.in_(transaction_ids)))
    return {row.source_txn_id: row.request_hash for row in rows}


def _insert_ignoring_duplicates(connection: Connection, rows: list[dict]) -> set[str]:
    """Insert; a row another request stored meanwhile is skipped. Returns the ids actually inserted."""
    if not rows:
        return set()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (insert(Alert).on_conflict_do_nothing(index_elements=["source", "source_txn_id"])
                 .returning(Alert.source_txn_id))
    return set(connection.scalars(statement, rows))


def store_core_transactions(connection: Connection, items: Sequence[tuple[int, object]], now: datetime,
                            ledger: bool) -> list[ItemResult]:
    """Check and store `(index, item)` pairs in the caller's transaction; a result per item, in order."""
    parsed: dict[int, CoreTransaction] = {}
    results: dict[int, ItemResult] = {}
    for index, item in items:
        try:
            parsed[index] = parse_item(item, now)
        except ItemError as exc:
            raw_id = item.get("transaction_id") if isinstance(item, dict) else None
            results[index] = ItemResult(index, raw_id if isinstance(raw_id, str) else None, REFUSED, str(exc))
    known = _known_accounts(connection, {t.account_id for t in parsed.values()}, ledger)
    stored = _stored_hashes(connection, {t.transaction_id for t in parsed.values()})
    batch: dict[str, str] = {}  # transaction id -> fingerprint, for repeats inside this batch
    to_insert: dict[int, dict] = {}
    for index, transaction in parsed.items():
        fingerprint = transaction.fingerprint()
        earlier = batch.get(transaction.transaction_id, stored.get(transaction.transaction_id))
        if earlier is not None:
            results[index] = (ItemResult(index, transaction.transaction_id, DUPLICATE) if earlier == fingerprint
                              else ItemResult(index, transaction.transaction_id, REFUSED,
                                              "transaction_id already stored with different content"))
        elif transaction.account_id not in known:
            results[index] = ItemResult(index, transaction.transaction_id, REFUSED, "unknown account_id")
        else:
            batch[transaction.transaction_id] = fingerprint
            to_insert[index] = transaction.alert_row(now)
    inserted = _insert_ignoring_duplicates(connection, list(to_insert.values()))
    # A row skipped by the insert was stored by a concurrent request meanwhile (the insert waited for it to
    # commit): read what it stored, so a different content under the same id is refused, not a duplicate.
    raced = _stored_hashes(connection, {row["source_txn_id"] for row in to_insert.values()} - inserted)
    for index, row in to_insert.items():
        txn_id = row["source_txn_id"]
        if txn_id in inserted:
            results[index] = ItemResult(index, txn_id, STORED)
        elif raced.get(txn_id) == row["request_hash"]:
            results[index] = ItemResult(index, txn_id, DUPLICATE)
        else:
            results[index] = ItemResult(index, txn_id, REFUSED, "transaction_id already stored with different content")
    return [results[index] for index, _ in items]
