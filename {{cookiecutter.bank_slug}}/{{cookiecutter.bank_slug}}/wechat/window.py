"""WeChat's customer-service windows (客服消息下发额度), per openid.

WeChat accepts a customer-service message only inside a window the user opened (rules since 2023-06-12,
docs/wechat-platform.md "Customer-service windows"):

- the user sends a message: 48 hours, at most 5 customer-service messages;
- a menu click (click / scancode_push / scancode_waitmsg), a follow or a QR scan: 1 minute, at most 3.

Outside every window WeChat answers 45015; with the count used up, 45047. The processing path records the
moments (`record_if_opening`, queued behind the reply: wechat/behind.py); senders ask `open_windows` before
sending, `use_window` after WeChat accepted one, and `close_window` when WeChat answered 45015/45047 anyway. A
send uses the event window first while it is open and has room (it expires first), else the message window; the
mock counts the same way. Recording never breaks a reply: a failure is logged.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, DateTime, Engine, and_, bindparam, case, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db import write_transaction
from ..shared.timeutil import utcnow
from . import behind
from .models import Interaction

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)  # after the user's own message
MESSAGE_QUOTA = 5
EVENT_WINDOW = timedelta(minutes=1)  # after a menu click, a follow or a scan
EVENT_QUOTA = 3
OPENING_EVENTS = frozenset({"subscribe", "subscribe_scan", "scan", "click", "scancode_push", "scancode_waitmsg"})
MESSAGE, EVENT = "message", "event"
_TABLE = Interaction.__table__


def opening_kind(message) -> str | None:
    """MESSAGE for a user's message, EVENT for the events WeChat counts as an interaction, else None."""
    if message.type != "event":
        return MESSAGE
    return EVENT if getattr(message, "event", "") in OPENING_EVENTS else None


def opens_window(message) -> bool:
    return opening_kind(message) is not None


def record_interaction(engine: Engine, openid: str, at: datetime | None = None, kind: str = MESSAGE) -> None:
    """Upsert the openid's window of `kind` (a fresh count), in its own short transaction."""
    behind.flush(engine)  # what this process queued is older: it must not land after this
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement, values = interaction_upsert(insert, kind), interaction_values(openid, at or utcnow(), kind)
    write_transaction(engine, lambda connection: connection.execute(statement, values))


def interaction_upsert(insert, kind: str = MESSAGE):
    """The statement that opens an openid's window of `kind` (`insert`: the dialect's insert; the values from
    `interaction_values`)."""
    statement = insert(_TABLE)
    names = ("last_at", "message_used") if kind == MESSAGE else ("event_at", "event_used")
    return statement.on_conflict_do_update(index_elements=[_TABLE.c.openid],
                                           set_={name: statement.excluded[name] for name in names})


def _upsert_text(at: str, used: str):
    # Never moves a window back: a write queued in one process may land after a later one of another's.
    return text(f"INSERT INTO {_TABLE.name} (openid, {at}, {used}) VALUES (:openid, :{at}, :{used}) "
                f"ON CONFLICT (openid) DO UPDATE SET {at} = excluded.{at}, {used} = excluded.{used} "
                f"WHERE {_TABLE.name}.{at} IS NULL OR {_TABLE.name}.{at} < excluded.{at}",
                ).bindparams(bindparam(at, type_=DateTime()))


# The upserts of the windows messages open, as text: SQLAlchemy does not cache the compiled form of a dialect's
# ON CONFLICT, text it does; the SQL is the same on SQLite and PostgreSQL.
UPSERTS = {MESSAGE: _upsert_text("last_at", "message_used"), EVENT: _upsert_text("event_at", "event_used")}


def queue_interaction(engine: Engine, openid: str, at: datetime, kind: str) -> None:
    """Record the window a message opened behind the reply (wechat/behind.py): batched with the others of the
    moment, in this process at most behind.INTERVAL later."""
    behind.behind(engine).add(UPSERTS[kind], openid, interaction_values(openid, at, kind))


def interaction_values(openid: str, at: datetime, kind: str = MESSAGE) -> dict:
    if kind == MESSAGE:
        return {"openid": openid, "last_at": at, "message_used": 0}
    return {"openid": openid, "event_at": at, "event_used": 0}


def record_if_opening(engine: Engine, message, at: datetime | None = None) -> None:
    """Queue the window `message` opens, if it opens one."""
    kind = opening_kind(message)
    if not message.source or kind is None:
        return
    queue_interaction(engine, message.source, at or utcnow(), kind)


def _message_open(now: datetime):
    return and_(_TABLE.c.last_at > now - WINDOW, _TABLE.c.message_used < MESSAGE_QUOTA)


def _event_open(now: datetime):
    return and_(_TABLE.c.event_at > now - EVENT_WINDOW, _TABLE.c.event_used < EVENT_QUOTA)


def open_windows(connection: Connection, openids: Iterable[str], now: datetime) -> set[str]:
    """The openids with a window open at `now` that still has room for a customer-service message."""
    openids = set(openids)
    if not openids:
        return set()
    behind.flush(connection.engine)
    return set(connection.scalars(select(_TABLE.c.openid).where(
        _TABLE.c.openid.in_(openids), or_(_message_open(now), _event_open(now)))))


def window_room(connection: Connection, openids: Iterable[str], now: datetime) -> dict[str, int]:
    """Openid -> how many customer-service messages its open windows still take at `now` (open ones only)."""
    openids = set(openids)
    if not openids:
        return {}
    behind.flush(connection.engine)
    rows = connection.execute(select(_TABLE).where(
        _TABLE.c.openid.in_(openids), or_(_message_open(now), _event_open(now))))
    room = {}
    for row in rows:
        left = window_state_of(row, now)
        room[row.openid] = left["message_left"] + left["event_left"]
    return room


def use_window(engine: Engine, openid: str, now: datetime | None = None) -> None:
    """WeChat accepted a customer-service message: count it against the event window while that has room,
    else against the message window."""
    now = now or utcnow()
    behind.flush(engine)  # the window this use counts against may still be queued
    event_open = _event_open(now)
    statement = update(_TABLE).where(_TABLE.c.openid == openid).values(
        event_used=case((event_open, _TABLE.c.event_used + 1), else_=_TABLE.c.event_used),
        message_used=case((event_open, _TABLE.c.message_used), else_=_TABLE.c.message_used + 1))
    write_transaction(engine, lambda connection: connection.execute(statement))


def window_state(connection: Connection, openid: str, now: datetime) -> dict:
    """What is left of the openid's windows, for pages and tests."""
    behind.flush(connection.engine)
    row = connection.execute(select(_TABLE).where(_TABLE.c.openid == openid)).first()
    return window_state_of(row, now)


def window_state_of(row, now: datetime) -> dict:
    if row is None:
        return {"message_left": 0, "event_left": 0}
    message_left = MESSAGE_QUOTA - row.message_used if row.last_at and row.last_at > now - WINDOW else 0
    event_left = EVENT_QUOTA - row.event_used if row.event_at and row.event_at > now - EVENT_WINDOW else 0
    return {"message_left": max(0, message_left), "event_left": max(0, event_left)}


def close_window(engine: Engine, openid: str) -> None:
    """WeChat answered 45015 or 45047: whatever we recorded, no window is open until the user acts again."""
    behind.flush(engine)
    write_transaction(engine, lambda connection: connection.execute(
        update(_TABLE).where(_TABLE.c.openid == openid).values(last_at=None, event_at=None)))
