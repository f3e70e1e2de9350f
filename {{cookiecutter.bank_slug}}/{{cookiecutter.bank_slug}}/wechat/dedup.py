"""De-duplication of WeChat's retries across threads and processes, in the database.

WeChat retries a push three times when it has no answer within 5 s. The first request claims the
message's key with an INSERT against a unique constraint; a retry (in any worker) fails that
INSERT and instead waits for, and returns, the reply the first one stores. The handler and its
side effects therefore run once.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from wechatpy.messages import BaseMessage

from ..extensions import db
from ..shared.timeutil import utcnow
from .models import InboundMessage

POLL_SECONDS = 0.05
# A claim still "processing" after this long belongs to a handler that died (its worker was killed, or it
# failed without recording it): the next retry may take the message over instead of waiting for nothing.
STUCK_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class Claim:
    row_id: int | None  # set when this request owns the message
    status: str
    reply_xml: str | None

    @property
    def owned(self) -> bool:
        return self.row_id is not None


def claim(key: str, message: BaseMessage) -> Claim:
    row = InboundMessage(
        dedup_key=key,
        openid=message.source or "",
        msg_type=message.type,
        event=getattr(message, "event", None),
        status="processing",
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        taken = _take_over_stuck(key)
        if taken is not None:
            return Claim(taken, "processing", None)
        existing = _lookup(key)
        return Claim(None, existing[0], existing[1]) if existing else Claim(None, "processing", None)
    return Claim(row.id, "processing", None)


def _take_over_stuck(key: str) -> int | None:
    """The row id of `key` when it was stuck in "processing" and this request now owns it, else None. One
    conditional UPDATE: of several retries racing for a stuck row, one wins."""
    stale = utcnow() - STUCK_AFTER
    row_id = db.session.execute(select(InboundMessage.id).where(InboundMessage.dedup_key == key)).scalar()
    if row_id is None:
        db.session.rollback()
        return None
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == row_id, InboundMessage.status == "processing",
               InboundMessage.received_at < stale)
        .values(received_at=utcnow()))
    db.session.commit()
    return row_id if result.rowcount == 1 else None


def _lookup(key: str):
    row = db.session.execute(
        select(InboundMessage.status, InboundMessage.reply_xml).where(InboundMessage.dedup_key == key)
    ).first()
    db.session.rollback()  # end the read transaction so the next poll sees new commits (SQLite WAL)
    return tuple(row) if row else None


def wait_for_reply(key: str, claim_seen: Claim, deadline: float) -> str | None:
    """The reply the first request stored, waiting until `deadline` (monotonic) at most.

    Returns None when there is nothing to send now: still processing, or the reply is being
    delivered late through the customer-service API.
    """
    status, reply = claim_seen.status, claim_seen.reply_xml
    while status == "processing" and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        found = _lookup(key)
        if found:
            status, reply = found
    return reply if status in ("replied", "failed") else None


def finish(row_id: int, status: str, reply_xml: str | None) -> None:
    db.session.rollback()  # whatever the handler left half done (a failed statement) does not block this
    db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == row_id)
        .values(status=status, reply_xml=reply_xml, finished_at=utcnow())
    )
    db.session.commit()


def prune(older_than: timedelta) -> int:
    """Delete inbound records older than `older_than` (WeChat retries only within ~15 s), finished ones and
    claims stuck in "processing" alike (their handler is long gone)."""
    result = db.session.execute(
        delete(InboundMessage).where(InboundMessage.received_at < utcnow() - max(older_than, STUCK_AFTER))
    )
    db.session.commit()
    return result.rowcount or 0
