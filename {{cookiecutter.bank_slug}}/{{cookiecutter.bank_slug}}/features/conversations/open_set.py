"""Which customers may have an open conversation: asked for every message, answered without a query.

Every message of a customer with an open conversation joins it (chat.py claims it before keyword routing), so the
router must know, for each message, whether its sender has one. Almost no sender has: this process keeps the set
of openids with an open conversation, read at most REFRESH seconds ago, and only a sender in that set is looked
up in the database (exactly). The set is read again

- when it is older than REFRESH, by the one request that finds it so (the others go on with the last one);
- at once after this process commits a change to a conversation (an ORM flush that touched one marks the
  session; its commit drops the set), so a conversation opened here is joined by the very next message.

A conversation opened by another process is therefore seen here at most REFRESH later: a customer's next message
would have to arrive within that moment of 人工's answer (it has to reach the phone first) to be routed as usual
instead. A conversation closed elsewhere is never missed the other way: a sender in the set is looked up.
"""

import threading
import time

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ...extensions import db
from .models import OPEN, Conversation

REFRESH = 0.5  # seconds
_EXTENSION = "conversations_open_set"
_TABLE = Conversation.__table__
_OPEN_OPENIDS = select(_TABLE.c.openid).where(_TABLE.c.status == OPEN)


class OpenSet:
    def __init__(self) -> None:
        self._openids: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._generation = 0  # bumped by every change committed here: a read that overlapped one is stale
        self._reading = threading.Lock()

    def may_have(self, openid: str) -> bool:
        """False when `openid` had no open conversation a moment ago (module docstring); True: look it up."""
        if time.monotonic() - self._read_at > REFRESH and self._reading.acquire(blocking=self._read_at < 0):
            try:
                generation = self._generation
                with db.engine.connect() as connection:
                    openids = frozenset(connection.scalars(_OPEN_OPENIDS))
                self._openids = openids
                if generation == self._generation:
                    self._read_at = time.monotonic()
            finally:
                self._reading.release()
        return openid in self._openids

    def changed(self) -> None:
        self._generation += 1
        self._read_at = float("-inf")


def open_set(app) -> OpenSet:
    found = app.extensions.get(_EXTENSION)
    if found is None:
        found = app.extensions.setdefault(_EXTENSION, OpenSet())
    return found


@event.listens_for(Session, "after_flush")
def _note_conversation_change(session, _flush_context) -> None:
    if any(isinstance(obj, Conversation) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["conversation_changed"] = True


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session) -> None:
    session.info.pop("conversation_changed", None)


@event.listens_for(Session, "after_commit")
def _drop_when_changed(session) -> None:
    if session.info.pop("conversation_changed", False):
        from flask import current_app, has_app_context

        if has_app_context():
            open_set(current_app).changed()
