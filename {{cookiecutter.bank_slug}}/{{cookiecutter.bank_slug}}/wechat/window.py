"""WeChat's 48-hour customer-service window (客服消息窗口), per openid.

WeChat accepts a customer-service message only within 48 hours of the user's last message to the
account, menu click (click / scancode menu types), follow or QR scan; later it answers 45015. The
processing path records those moments (`record_interaction`); senders ask `open_windows` before sending
and `close_window` when WeChat answered 45015 anyway. Recording never breaks a reply: a failure is logged.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db import write_transaction
from ..shared.timeutil import utcnow
from .models import Interaction

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=48)
OPENING_EVENTS = frozenset({"subscribe", "subscribe_scan", "scan", "click", "scancode_push", "scancode_waitmsg"})
_TABLE = Interaction.__table__


def opens_window(message) -> bool:
    """A user's message, or one of the events WeChat counts as an interaction."""
    if message.type != "event":
        return True
    return getattr(message, "event", "") in OPENING_EVENTS


def record_interaction(engine: Engine, openid: str, at: datetime | None = None) -> None:
    """Upsert the openid's last interaction (its own short transaction, apart from the handler's session)."""
    values = {"openid": openid, "last_at": at or utcnow()}
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(_TABLE).values(**values).on_conflict_do_update(
        index_elements=[_TABLE.c.openid], set_={"last_at": values["last_at"]})
    write_transaction(engine, lambda connection: connection.execute(statement))


def record_if_opening(engine: Engine, message) -> None:
    if not message.source or not opens_window(message):
        return
    try:
        record_interaction(engine, message.source)
    except Exception:  # the reply matters more than the window's record
        log.exception("could not record the interaction of a %s message", message.type)


def open_windows(connection: Connection, openids: Iterable[str], now: datetime) -> set[str]:
    """The openids whose window is open at `now`."""
    openids = set(openids)
    if not openids:
        return set()
    return set(connection.scalars(select(_TABLE.c.openid).where(
        _TABLE.c.openid.in_(openids), _TABLE.c.last_at > now - WINDOW)))


def close_window(engine: Engine, openid: str) -> None:
    """WeChat answered 45015: whatever we recorded, the window is closed until the user interacts again."""
    write_transaction(engine, lambda connection: connection.execute(
        update(_TABLE).where(_TABLE.c.openid == openid).values(last_at=None)))
