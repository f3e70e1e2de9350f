"""Failed admin logins: after FAILURES_BEFORE_CAPTCHA failures for a username or from a client IP within
WINDOW, the login form asks for a graphic captcha. Kept in the database so every gunicorn worker counts
the same failures. The lock-out of an account (wrong passwords in a row) is auth.py's, on the account row."""

from datetime import timedelta

from sqlalchemy import delete, func, or_, select

from ..extensions import db
from ..shared.timeutil import utcnow
from .audit_models import LoginFailure
from .models import username_key

FAILURES_BEFORE_CAPTCHA = 3
WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)


def normalise(username: str) -> str:
    return username_key(username)[:64]


def captcha_required(username: str, ip: str) -> bool:
    since = utcnow() - WINDOW
    conditions = [LoginFailure.ip == ip[:45]]
    if normalise(username):
        conditions.append(LoginFailure.username == normalise(username))
    count = db.session.execute(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since, or_(*conditions))
    ).scalar_one()
    return count >= FAILURES_BEFORE_CAPTCHA


def note_failure(username: str, ip: str) -> None:
    """Count a failed login (the caller commits); rows older than KEEP are pruned on the way."""
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEEP))
    db.session.add(LoginFailure(at=now, username=normalise(username), ip=ip[:45]))


def forget_failures(username: str) -> None:
    """A successful login clears that username's failures (the IP's stay: one good account must not
    reset the count of an address that is guessing others). The caller commits."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == normalise(username)))
