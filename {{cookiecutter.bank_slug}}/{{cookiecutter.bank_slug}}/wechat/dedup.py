"""De-duplication of WeChat's retries across threads and processes: in Redis when REDIS_URL is set, else in
the database.

WeChat retries a push three times when it has no answer within 5 s. The first request claims the message's
key in one round trip; a retry (in any worker, on any server sharing the store) finds the claim and instead
waits for, and returns, the reply the first one stores. The handler and its side effects therefore run once.

- Redis: `SET key processing NX EX 60`; the reply replaces it (`SET key status:reply EX DONE_TTL`), queued
  behind the answer and sent in one pipeline with the others of the moment (wechat/behind.py; a lookup in this
  process sees it at once). A claim whose handler died expires after STUCK_AFTER, so a later retry takes the
  message over.
- Database: one `INSERT ... ON CONFLICT (dedup_key) DO NOTHING RETURNING id` (SQLAlchemy Core, no ORM and
  no re-read); the reply is one UPDATE, queued behind the answer (wechat/behind.py: batched with the others
  of the moment; a lookup in this process sees it at once, other processes within behind.INTERVAL, long before
  WeChat retries). A claim still "processing" after STUCK_AFTER is taken over with one conditional UPDATE.
- Either way the 48-hour window the message opens is queued behind the answer too (wechat/window.py).
  (RETURNING needs SQLite 3.35 or later; Python 3.11's builds ship newer ones.)
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import DateTime, Engine, bindparam, delete, select, text, update
from wechatpy.messages import BaseMessage

from ..db import write_transaction
from ..extensions import db
from ..shared.timeutil import utcnow
from . import behind, window
from .models import InboundMessage

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
# A claim still "processing" after this long belongs to a handler that died (its worker was killed, or it
# failed without recording it): the next retry may take the message over instead of waiting for nothing.
STUCK_AFTER = timedelta(seconds=60)
# How long Redis keeps a finished message's reply for WeChat's retries (they come within ~15 s).
DONE_TTL = timedelta(hours=1)
PROCESSING = "processing"
_TABLE = InboundMessage.__table__
_CLAIM = text(
    f"INSERT INTO {_TABLE.name} (dedup_key, openid, msg_type, event, status, received_at) "
    "VALUES (:dedup_key, :openid, :msg_type, :event, :status, :received_at) "
    "ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
).bindparams(bindparam("received_at", type_=DateTime()))
_LOOKUP = select(_TABLE.c.status, _TABLE.c.reply_xml).where(_TABLE.c.dedup_key == bindparam("key"))


@dataclass(frozen=True)
class Claim:
    handle: object | None  # set when this request owns the message: the row id, or the Redis key
    status: str
    reply_xml: str | None
    key: str = ""  # the message's de-dup key

    @property
    def owned(self) -> bool:
        return self.handle is not None


class DatabaseStore:
    """The de-dup records in the wechat_inbound_message table (kept for `wechat prune-messages`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Built once: each message only binds its values. As text (the same SQL on SQLite and PostgreSQL):
        # SQLAlchemy does not cache the compiled form of a dialect's INSERT ... ON CONFLICT, and compiling it
        # anew was a good part of a message's time.
        self._claim = _CLAIM
        self._finish = update(_TABLE).where(_TABLE.c.id == bindparam("row_id"))

    def claim(self, key: str, message: BaseMessage) -> Claim:
        """Claim `key`; when this request owns it, queue the customer-service window it opens."""
        now = utcnow()
        values = {"dedup_key": key, "openid": message.source or "", "msg_type": message.type,
                  "event": getattr(message, "event", None), "status": PROCESSING, "received_at": now}
        row_id = write_transaction(self.engine, lambda connection: connection.execute(self._claim, values).scalar())
        if row_id is None:
            row_id = self._take_over_stuck(key)
        if row_id is not None:
            window.record_if_opening(self.engine, message, now)
            return Claim(row_id, PROCESSING, None, key)
        found = self.lookup(key)
        return Claim(None, *found, key) if found else Claim(None, PROCESSING, None, key)

    def _take_over_stuck(self, key: str) -> int | None:
        """The row id of `key` when it was stuck in "processing" and this request now owns it, else None. One
        conditional UPDATE: of several retries racing for a stuck row, one wins."""
        statement = (update(_TABLE)
                     .where(_TABLE.c.dedup_key == key, _TABLE.c.status == PROCESSING,
                            _TABLE.c.received_at < utcnow() - STUCK_AFTER)
                     .values(received_at=utcnow()).returning(_TABLE.c.id))
        return write_transaction(self.engine, lambda connection: connection.execute(statement).scalar())

    def lookup(self, key: str) -> tuple[str, str | None] | None:
        queued = behind.behind(self.engine).pending(self._finish, key)
        if queued is not None:  # finished in this process, not written yet
            return queued["status"], queued["reply_xml"]
        with self.engine.connect() as connection:  # a new transaction each time: sees the latest commit
            row = connection.execute(_LOOKUP, {"key": key}).first()
        return (row[0], row[1]) if row else None

    def finish(self, claim: Claim, status: str, reply_xml: str | None) -> None:
        values = {"row_id": claim.handle, "status": status, "reply_xml": reply_xml, "finished_at": utcnow()}
        behind.behind(self.engine).add(self._finish, claim.key or claim.handle, values)

    def flush(self) -> None:
        """Write the replies (and windows) this process has queued: for readers of the table itself."""
        behind.flush(self.engine)


_REDIS_SET = "SET"  # the queued Redis writes: (name, value, seconds)
_DONE_SECONDS = int(DONE_TTL.total_seconds())


def _redis_writer(client, groups) -> None:
    """One pipeline (no MULTI: each SET stands alone) for every queued reply."""
    pipe = client.pipeline(transaction=False)
    for _statement, rows in groups:
        for row in rows:
            pipe.set(row["name"], row["value"], ex=row["ex"])
    pipe.execute()


class RedisStore:
    """The de-dup records in Redis: one key per message, expiring by itself."""

    def __init__(self, client, engine: Engine, app_id: str) -> None:
        self.redis = client
        self.engine = engine  # the customer-service windows stay in the database
        self.prefix = f"wechat:inbound:{app_id}:"
        self.queue = behind.behind(client, _redis_writer)

    def claim(self, key: str, message: BaseMessage) -> Claim:
        name = self.prefix + key
        if self.redis.set(name, PROCESSING, nx=True, ex=int(STUCK_AFTER.total_seconds())):
            window.record_if_opening(self.engine, message)
            return Claim(name, PROCESSING, None, key)
        found = self.lookup(key)
        if found is None:  # expired between the two calls (a stuck claim): try once more
            if self.redis.set(name, PROCESSING, nx=True, ex=int(STUCK_AFTER.total_seconds())):
                return Claim(name, PROCESSING, None, key)
            found = self.lookup(key)
        return Claim(None, *found, key) if found else Claim(None, PROCESSING, None, key)

    def flush(self) -> None:
        """Write the stored replies and the windows this process has queued."""
        behind.flush(self.redis)
        behind.flush(self.engine)

    def lookup(self, key: str) -> tuple[str, str | None] | None:
        queued = self.queue.pending(_REDIS_SET, self.prefix + key)
        value = queued["value"] if queued is not None else self.redis.get(self.prefix + key)
        if value is None:
            return None
        status, _, reply = value.partition(":")
        return status, (reply if status != PROCESSING else None)

    def finish(self, claim: Claim, status: str, reply_xml: str | None) -> None:
        values = {"name": claim.handle, "value": f"{status}:{reply_xml or ''}", "ex": _DONE_SECONDS}
        self.queue.add(_REDIS_SET, claim.handle, values)


def make_store(app) -> DatabaseStore | RedisStore:
    """Redis when REDIS_URL is set, otherwise the app's database."""
    with app.app_context():
        engine = db.engine
    url = app.config.get("REDIS_URL")
    if not url:
        return DatabaseStore(engine)
    import redis  # the 'redis' extra; only with REDIS_URL

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True)
    return RedisStore(client, engine, app.config["WECHAT_APP_ID"])


def wait_for_reply(store, key: str, claim_seen: Claim, deadline: float) -> str | None:
    """The reply the first request stored, waiting until `deadline` (monotonic) at most.

    Returns None when there is nothing to send now: still processing, or the reply is being
    delivered late through the customer-service API.
    """
    status, reply = claim_seen.status, claim_seen.reply_xml
    while status == PROCESSING and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        found = store.lookup(key)
        if found:
            status, reply = found
    return reply if status in ("replied", "failed") else None


def prune(older_than: timedelta) -> int:
    """Delete inbound records older than `older_than` (WeChat retries only within ~15 s), finished ones and
    claims stuck in "processing" alike (their handler is long gone). Redis records expire by themselves."""
    behind.flush(db.engine)
    result = db.session.execute(
        delete(InboundMessage).where(InboundMessage.received_at < utcnow() - max(older_than, STUCK_AFTER))
    )
    db.session.commit()
    return result.rowcount or 0
