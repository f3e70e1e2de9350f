"""The alerts feature's writer for the built-in ledger: one alert per posting on a customer account,
inserted in the same database transaction as the postings (core_banking/outbox.py hands them over), so they
commit or roll back together. Internal accounts (settlement, capital) get none.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert

from ...core_banking.outbox import register_posting_writer
from ...shared.masking import mask_name, scrub
from .models import PENDING, SOURCE_LEDGER, Alert


def ledger_txn_id(entry_id: int, position: int) -> str:
    """J0000000042:1 — the entry's transfer id (ledger/core.py) and the posting's place in it."""
    return f"J{entry_id:010d}:{position}"


def ledger_alert_rows(entry_id: int, postings: Sequence[dict], alerting: set[str], created_at: datetime) -> list[dict]:
    """An alert per posting on a customer account (`alerting`); internal accounts get none."""
    return [{
        "source": SOURCE_LEDGER, "source_txn_id": ledger_txn_id(entry_id, position), "request_hash": "",
        "account_id": posting["account_id"], "kind": posting["kind"], "amount_fen": posting["amount_fen"],
        "balance_after_fen": posting["balance_after_fen"], "occurred_at": created_at,
        "counterparty": mask_name(posting["counterparty_name"]), "memo": scrub(posting["memo"] or ""),
        "state": PENDING, "attempts": 0, "next_attempt_at": created_at, "created_at": created_at,
    } for position, posting in enumerate(postings) if posting["account_id"] in alerting]


def write_ledger_alerts(connection: Connection, entry_id: int, postings: Sequence[dict], customer_accounts: set[str],
                        created_at: datetime) -> None:
    rows = ledger_alert_rows(entry_id, postings, customer_accounts, created_at)
    if rows:
        connection.execute(insert(Alert), rows)


def register_ledger_writer() -> None:
    register_posting_writer(write_ledger_alerts)
