"""Deleting alerts that ended long ago (`flask alerts prune`), so the outbox does not grow for ever.

Only final alerts (delivered, sms, undeliverable, expired) whose `finished_at` is older than the
cut-off go; open ones stay however old. Deleted in batches, each its own short transaction, so
ingestion and dispatchers never wait long behind it. The transaction itself stays in the core's
books: an alert is only the record of a notice. If the core pushes a pruned transaction id again,
it is stored anew and ends `expired` (ALERT_RETENTION_DAYS is longer than ALERT_MAX_AGE_MINUTES,
which the configuration enforces), so nobody is alerted twice. WeChat's delivery reports held for a msgid
that never turned up (delivery_report.py) older than the cut-off go too.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, delete, select

from ..db import write_transaction
from .delivery_report import prune_held
from .models import FINAL_STATES, Notice

_TABLE = Notice.__table__


def prune(engine: Engine, before: datetime, batch_size: int = 10_000,
          progress: Callable[[int], None] | None = None) -> int:
    """Delete final alerts finished before `before` (naive UTC); returns how many were deleted."""
    doomed = (select(_TABLE.c.id)
              .where(_TABLE.c.finished_at < before, _TABLE.c.state.in_(FINAL_STATES))
              .order_by(_TABLE.c.finished_at)
              .limit(batch_size))
    statement = delete(_TABLE).where(_TABLE.c.id.in_(doomed.scalar_subquery()))
    total = 0
    while True:
        deleted = write_transaction(engine, lambda connection: connection.execute(statement).rowcount)
        total += deleted
        if progress is not None and deleted:
            progress(total)
        if deleted < batch_size:
            write_transaction(engine, lambda connection: prune_held(connection, before))
            return total
