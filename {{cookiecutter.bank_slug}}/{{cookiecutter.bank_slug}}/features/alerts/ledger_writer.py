"""The alerts feature's writer for the built-in ledger: one alert per posting on a customer account (debit
cards and credit cards: card spending is alerted as debit postings are),
inserted in the same database transaction as the postings (core_banking/outbox.py hands them over), so they
commit or roll back together. Internal accounts (settlement, capital) get none.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, insert, select

from ...core_banking.ledger.models import CreditCardTerms
from ...core_banking.outbox import register_posting_writer
from ...shared.masking import mask_name, scrub
from .models import PENDING, SOURCE_LEDGER, Alert


def ledger_txn_id(entry_id: int, position: int) -> str:
    """J0000000042:1 — the entry's transfer id (ledger/core.py) and the posting's place in it."""
    return f"J{entry_id:010d}:{position}"


def ledger_alert_rows(entry_id: int, postings: Sequence[dict], alerting: set[str], created_at: datetime,
                      credit_limits: dict[str, int] | None = None) -> list[dict]:
    """An alert per posting on a customer account (`alerting`); internal accounts get none. A credit card's
    alert (its account in `credit_limits`) shows the credit left after the posting, not its balance (minus
    what it owes)."""
    credit_limits = credit_limits or {}
    return [{  # the keys are _COLUMNS
        "source": SOURCE_LEDGER, "source_txn_id": ledger_txn_id(entry_id, position), "request_hash": "",
        "account_id": posting["account_id"], "kind": posting["kind"], "amount_fen": posting["amount_fen"],
        "balance_after_fen": posting["balance_after_fen"] + credit_limits.get(posting["account_id"], 0),
        "occurred_at": created_at,
        "counterparty": mask_name(posting["counterparty_name"]), "memo": scrub(posting["memo"] or ""),
        "state": PENDING, "attempts": 0, "next_attempt_at": created_at, "created_at": created_at,
    } for position, posting in enumerate(postings) if posting["account_id"] in alerting]


CARD_POSTING_KINDS = ("purchase", "repayment")  # what the ledger posts on a credit card (ledger/credit.py)

_COLUMNS = ("source", "source_txn_id", "request_hash", "account_id", "kind", "amount_fen", "balance_after_fen",
            "occurred_at", "counterparty", "memo", "state", "attempts", "next_attempt_at", "created_at")


@cache
def _multi_row_insert(count: int) -> str:
    """INSERT INTO alert (...) VALUES (...), (...) in the driver's own placeholders (PostgreSQL through psycopg:
    %(name)s), run with exec_driver_sql: no statement to compile or cache key to compute on the transfer's path
    (the ledger may queue it in a pipeline with its COMMIT: a writer only writes). Built once per row count (a
    transfer makes one or two)."""
    rows = ", ".join("(" + ", ".join(f"%({column}_{n})s" for column in _COLUMNS) + ")" for n in range(count))
    return f"INSERT INTO {Alert.__tablename__} ({', '.join(_COLUMNS)}) VALUES {rows}"


def write_ledger_alerts(connection: Connection, entry_id: int, postings: Sequence[dict], customer_accounts: set[str],
                        created_at: datetime) -> None:
    credit_limits = {}
    if any(posting["kind"] in CARD_POSTING_KINDS for posting in postings):  # only card entries pay this query
        credit_limits = dict(connection.execute(
            select(CreditCardTerms.account_id, CreditCardTerms.credit_limit_fen)
            .where(CreditCardTerms.account_id.in_({posting["account_id"] for posting in postings}))).all())
    rows = ledger_alert_rows(entry_id, postings, customer_accounts, created_at, credit_limits)
    if rows:
        if connection.dialect.name == "postgresql" and connection.dialect.paramstyle == "pyformat":
            # one multi-row INSERT: one round trip (executemany: several)
            connection.exec_driver_sql(_multi_row_insert(len(rows)), {
                f"{key}_{n}": value for n, row in enumerate(rows) for key, value in row.items()})
        else:
            connection.execute(insert(Alert), rows)


def register_ledger_writer() -> None:
    register_posting_writer(write_ledger_alerts)
