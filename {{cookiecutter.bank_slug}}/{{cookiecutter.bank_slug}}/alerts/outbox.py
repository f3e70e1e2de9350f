"""The built-in ledger's side of the outbox: the alert rows for the entry being written
(banking/ledger/posting.py inserts them in the same database transaction as the postings, so they
commit or roll back together). A leaf module: it imports nothing of banking, so the ledger can use it.
"""

from collections.abc import Sequence
from datetime import datetime

from ..masking import mask_name
from .models import PENDING, SOURCE_LEDGER


def ledger_txn_id(entry_id: int, position: int) -> str:
    """J0000000042:1 — the entry's transfer id (ledger/core.py) and the posting's place in it."""
    return f"J{entry_id:010d}:{position}"


def ledger_alert_rows(entry_id: int, postings: Sequence[dict], alerting: set[str], created_at: datetime) -> list[dict]:
    """An alert per posting on a customer account (`alerting`); internal accounts get none."""
    return [{
        "source": SOURCE_LEDGER, "source_txn_id": ledger_txn_id(entry_id, position), "request_hash": "",
        "account_id": posting["account_id"], "kind": posting["kind"], "amount_fen": posting["amount_fen"],
        "balance_after_fen": posting["balance_after_fen"], "occurred_at": created_at,
        "counterparty": mask_name(posting["counterparty_name"]), "memo": posting["memo"],
        "state": PENDING, "attempts": 0, "next_attempt_at": created_at, "created_at": created_at,
    } for position, posting in enumerate(postings) if posting["account_id"] in alerting]
