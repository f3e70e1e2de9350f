"""Counted attempts for the throttles of card binding and payee look-ups: one row per attempt, under a
scope ("bind_identity_card", "bind_sms_phone", ...) and a key.

Keys are card numbers, phone numbers and openids: only an HMAC of them (keyed with SECRET_KEY) is stored,
never the number. Rows live in the database so every gunicorn worker counts the same attempts; rows older
than KEEP are pruned when new ones are added. The caller commits (an attempt is part of its transaction,
or committed on its own before the answer is given, see the callers).
"""

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..shared.timeutil import utcnow

KEEP = timedelta(days=2)  # longer than the longest window (a day)


class Attempt(db.Model):
    __tablename__ = "security_attempt"
    __table_args__ = (Index("ix_security_attempt_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 hex of the card, phone or openid
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


def key_of(value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"attempt:" + str(value).encode(), hashlib.sha256).hexdigest()


def count(scope: str, value: str, window: timedelta, now: datetime | None = None) -> int:
    since = (now or utcnow()) - window
    return db.session.execute(
        select(func.count()).select_from(Attempt)
        .where(Attempt.scope == scope, Attempt.key == key_of(value), Attempt.at >= since)).scalar_one()


def last_at(scope: str, value: str) -> datetime | None:
    return db.session.execute(
        select(func.max(Attempt.at)).where(Attempt.scope == scope, Attempt.key == key_of(value))).scalar_one()


def note(scope: str, value: str, now: datetime | None = None) -> None:
    """Count one attempt (the caller commits); rows older than KEEP go on the way."""
    now = now or utcnow()
    db.session.execute(delete(Attempt).where(Attempt.at < now - KEEP))
    db.session.add(Attempt(scope=scope[:32], key=key_of(value), at=now))


def forget(scope: str, value: str) -> None:
    """Drop the attempts of this key (the caller commits)."""
    db.session.execute(delete(Attempt).where(Attempt.scope == scope, Attempt.key == key_of(value)))
