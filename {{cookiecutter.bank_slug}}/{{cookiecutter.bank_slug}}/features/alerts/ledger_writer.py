"""The alerts feature's writer for the built-in ledger: one alert per posting on a customer account (debit
cards and credit cards: card spending is alerted as debit postings are),
inserted in the same database transaction as the postings (core_banking/outbox.py hands them over), so they
commit or roll back together. Internal accounts (settlement, capital) get none.

Two forms of the same rows: `write_ledger_alerts` from the postings in Python (ledger_alert_rows), and
`ledger_alerts_sql`, a statement over the postings as the database inserted them (the ledger's guarded transfer
on PostgreSQL computes the balances and the entry's id in the database; outbox.PostedSql), which gives the same
rows. Card postings (purchase, repayment: a card's alert shows its credit left) have the Python form only.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, insert, select

from ...core_banking.ledger.models import CreditCardTerms
from ...core_banking.outbox import PostedSql, register_posting_writer
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


@cache
def _alerts_over_posted(positions: tuple[int, ...], prefix: str) -> str:
    """INSERT INTO alert ... SELECT ... FROM posted: an alert per posting at `positions` (those on customer
    accounts), with the entry's id and the balance after as the database has them; what the client knows
    (the masked counterparty, the scrubbed memo) as parameters. Built once per shape."""
    legs = ", ".join(f"({n}, CAST(%({prefix}counterparty_{n})s AS varchar), CAST(%({prefix}memo_{n})s AS varchar))"
                     for n in positions)
    at = f"CAST(%({prefix}at)s AS timestamp)"
    # ledger_txn_id's J%010d: at least ten digits, more when the id has more
    txn_id = ("'J' || lpad(CAST(posted.entry_id AS text), greatest(10, length(CAST(posted.entry_id AS text))), '0')"
              " || ':' || CAST(posted.position AS text)")
    return f"""INSERT INTO {Alert.__tablename__} ({', '.join(_COLUMNS)})
        SELECT CAST(%({prefix}source)s AS varchar), {txn_id}, '', posted.account_id, posted.kind, posted.amount_fen,
               posted.balance_after_fen, {at}, leg.counterparty, leg.memo, CAST(%({prefix}state)s AS varchar), 0,
               {at}, {at}
        FROM posted JOIN (VALUES {legs}) AS leg (position, counterparty, memo) ON leg.position = posted.position
        ORDER BY posted.position"""


def ledger_alerts_sql(postings: Sequence[dict], customer_accounts: set[str], created_at: datetime,
                      prefix: str) -> PostedSql | None:
    """The SQL form of write_ledger_alerts (outbox.PostedSql): the same rows as ledger_alert_rows."""
    if any(posting["kind"] in CARD_POSTING_KINDS for posting in postings):
        return None  # a card's alert adds its credit limit: the Python form looks it up
    positions = tuple(n for n, posting in enumerate(postings) if posting["account_id"] in customer_accounts)
    if not positions:
        return PostedSql("")
    params = {f"{prefix}source": SOURCE_LEDGER, f"{prefix}state": PENDING, f"{prefix}at": created_at}
    for n in positions:
        params[f"{prefix}counterparty_{n}"] = mask_name(postings[n]["counterparty_name"])
        params[f"{prefix}memo_{n}"] = scrub(postings[n]["memo"] or "")
    return PostedSql(_alerts_over_posted(positions, prefix), params)


def register_ledger_writer() -> None:
    register_posting_writer(write_ledger_alerts, ledger_alerts_sql)
