"""Claiming due notices (alerts and the other topics alike) and recording what became of them.

A claim marks up to N due alerts `sending` under this dispatcher's name with a lease: their
`next_attempt_at` becomes the lease's end. Due means pending and scheduled for now or earlier, or
sending with an expired lease (its dispatcher died mid-batch: at-least-once, so that batch may go
out twice). PostgreSQL: FOR UPDATE SKIP LOCKED, so several dispatchers take disjoint batches
without waiting on each other. SQLite: the claim holds the database's write lock (BEGIN IMMEDIATE, through
the ledger's write_transaction, which also retries what the database asks to be retried); run one dispatcher.

Results are written in bulk, and only while this dispatcher still holds the lease (`lease_owner`):
if it lost the lease, the alert belongs to whoever claimed it since. On PostgreSQL a batch is one
UPDATE ... FROM unnest(arrays); on SQLite one executemany (a loop in the driver, no round trips).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Row, bindparam, func, literal, select, text, update

from ..db import write_transaction
from .delivery_report import apply_held
from .models import OPEN_STATES, SENDING, HeldDeliveryReport, Notice

_TABLE = Notice.__table__
CLAIMED_COLUMNS = (Notice.id, Notice.topic, Notice.account_id, Notice.kind, Notice.amount_fen, Notice.balance_after_fen,
                   Notice.occurred_at, Notice.attempts, Notice.openid, Notice.payload, Notice.created_at)


@dataclass(slots=True)  # not frozen: made once per notice, a frozen dataclass costs four times as much to build
class Update:
    """What to write for one alert this dispatcher holds: a final state, or pending again at `next_attempt_at`."""

    alert_id: int
    state: str
    next_attempt_at: datetime
    tries: int = 0  # WeChat/SMS attempts made by this claim (added to `attempts`)
    openid: str | None = None
    channel: str | None = None
    msgid: str | None = None
    final_reason: str | None = None
    last_error: str | None = None
    finished_at: datetime | None = None


def claim(engine: Engine, owner: str, limit: int, now: datetime, lease_seconds: float) -> list[Row]:
    due = (select(_TABLE.c.id)
           .where(_TABLE.c.state.in_(OPEN_STATES), _TABLE.c.next_attempt_at <= now)
           .order_by(_TABLE.c.next_attempt_at)
           .limit(limit))
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (update(_TABLE)
                 .where(_TABLE.c.id.in_(due.scalar_subquery()))
                 .values(state=SENDING, lease_owner=owner, next_attempt_at=now + timedelta(seconds=lease_seconds))
                 .returning(*(_TABLE.c[column.key] for column in CLAIMED_COLUMNS)))
    return write_transaction(engine, lambda connection: list(connection.execute(statement)))


_RECORD = (update(_TABLE)
           .where(_TABLE.c.id == bindparam("b_id"), _TABLE.c.lease_owner == bindparam("b_owner"),
                  _TABLE.c.state == SENDING)
           .values(state=bindparam("b_state"), next_attempt_at=bindparam("b_next"),
                   attempts=_TABLE.c.attempts + bindparam("b_tries"), openid=bindparam("b_openid"),
                   channel=bindparam("b_channel"), msgid=bindparam("b_msgid"), final_reason=bindparam("b_reason"),
                   last_error=bindparam("b_error"), finished_at=bindparam("b_finished"), lease_owner=None))


# PostgreSQL: the whole batch in one statement, its values as arrays (one parameter per column, not one statement
# per notice): the same conditions and values as _RECORD.
_RECORD_PG = text(
    f"UPDATE {_TABLE.name} SET state = u.state, next_attempt_at = u.next_at,"
    f" attempts = {_TABLE.name}.attempts + u.tries, openid = u.openid, channel = u.channel, msgid = u.msgid,"
    " final_reason = u.reason, last_error = u.error,"
    " finished_at = u.finished_at, lease_owner = NULL"
    " FROM unnest(CAST(:ids AS BIGINT[]), CAST(:states AS VARCHAR[]), CAST(:nexts AS TIMESTAMP[]),"
    " CAST(:tries AS INTEGER[]), CAST(:openids AS VARCHAR[]), CAST(:channels AS VARCHAR[]), CAST(:msgids AS VARCHAR[]),"
    " CAST(:reasons AS VARCHAR[]), CAST(:errors AS VARCHAR[]), CAST(:finished AS TIMESTAMP[]))"
    " AS u(id, state, next_at, tries, openid, channel, msgid, reason, error, finished_at)"
    f" WHERE {_TABLE.name}.id = u.id AND {_TABLE.name}.lease_owner = :owner AND {_TABLE.name}.state = '{SENDING}'")
_HELD_ANY = select(literal(1)).select_from(HeldDeliveryReport.__table__).limit(1)


def record(engine: Engine, owner: str, updates: Iterable[Update]) -> int:
    """Write the updates in one transaction; returns how many alerts this dispatcher still held."""
    updates = list(updates)
    if not updates:
        return 0
    msgids = [u.msgid for u in updates if u.msgid]
    if engine.dialect.name == "postgresql":
        statement, params = _RECORD_PG, _array_params(owner, updates)
    else:
        statement, params = _RECORD, [{
            "b_id": u.alert_id, "b_owner": owner, "b_state": u.state, "b_next": u.next_attempt_at,
            "b_tries": u.tries, "b_openid": u.openid, "b_channel": u.channel, "b_msgid": u.msgid,
            "b_reason": u.final_reason, "b_error": u.last_error, "b_finished": u.finished_at,
        } for u in updates]

    def write(connection) -> int:
        written = connection.execute(statement, params).rowcount
        # a TEMPLATESENDJOBFINISH that came before this record (rare: look only when one is held)
        if msgids and connection.execute(_HELD_ANY).first() is not None:
            apply_held(connection, msgids)
        return written

    rowcount = write_transaction(engine, write)
    return rowcount if rowcount is not None and rowcount >= 0 else len(updates)


def _array_params(owner: str, updates: list[Update]) -> dict:
    """_RECORD_PG's parameters: a column each; a notice's first update of the batch only, as one statement
    per update would write (the next finds it no longer `sending`)."""
    seen: set[int] = set()
    firsts = [u for u in updates if not (u.alert_id in seen or seen.add(u.alert_id))]
    return {
        "owner": owner, "ids": [u.alert_id for u in firsts], "states": [u.state for u in firsts],
        "nexts": [u.next_attempt_at for u in firsts], "tries": [u.tries for u in firsts],
        "openids": [u.openid for u in firsts], "channels": [u.channel for u in firsts],
        "msgids": [u.msgid for u in firsts], "reasons": [u.final_reason for u in firsts],
        "errors": [u.last_error for u in firsts], "finished": [u.finished_at for u in firsts],
    }


def next_due(engine: Engine) -> datetime | None:
    """When the earliest open alert is due (None: none open)."""
    with engine.connect() as connection:
        return connection.scalar(select(func.min(_TABLE.c.next_attempt_at)).where(_TABLE.c.state.in_(OPEN_STATES)))
