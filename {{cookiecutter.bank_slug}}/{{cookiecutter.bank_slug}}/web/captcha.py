"""Graphic captchas (the transfer PIN's after 3 wrong PINs, the admin login's after 3 failed logins),
single-use on the server.

The answer is kept on the server, as an HMAC keyed with SECRET_KEY over the purpose, the challenge id and
the answer; the session holds only the random challenge id. The store is Redis when REDIS_URL is set (a key
with a TTL, taken with GETDEL), else the database (table `captcha_challenge`; every gunicorn worker sees
both). Checking an answer removes it first (the DELETE's row count, or GETDEL's answer, says whether this
request was the one that used it), so an answer is good for exactly one try: replaying a cookie from before
the submit, or racing two submits, finds nothing. Challenges expire after CAPTCHA_LIFETIME (database rows are
pruned whenever a new image is drawn). Each purpose has its own keys, so one captcha's answer never unlocks
the other.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from captcha.image import ImageCaptcha
from flask import current_app, session
from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..shared.timeutil import utcnow

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B look-alikes
LENGTH = 4
WIDTH, HEIGHT = 160, 60
MAX_ANSWER_LENGTH = 16
CAPTCHA_LIFETIME = timedelta(minutes=10)
ID_BYTES = 24  # token_urlsafe(24): 32 characters


class CaptchaChallenge(db.Model):
    """One captcha image drawn and not yet answered."""

    __tablename__ = "captcha_challenge"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, the session's only copy
    purpose: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


def new_answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def answer_digest(purpose: bytes, challenge_id: str, answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = purpose + b":" + challenge_id.encode() + b":" + answer.strip().upper().encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class DatabaseStore:
    kind = "database"

    def put(self, purpose: str, challenge_id: str, digest: str, replaces: str | None) -> None:
        now = utcnow()
        if replaces:
            db.session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.id == replaces))
        db.session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.created_at < now - CAPTCHA_LIFETIME))
        db.session.add(CaptchaChallenge(id=challenge_id, purpose=purpose, created_at=now, digest=digest))
        db.session.commit()

    def take(self, purpose: str, challenge_id: str) -> str | None:
        """The digest, removed; None when absent, expired or taken by a concurrent request."""
        where = (CaptchaChallenge.id == challenge_id, CaptchaChallenge.purpose == purpose)
        row = db.session.execute(select(CaptchaChallenge.digest, CaptchaChallenge.created_at).where(*where)).first()
        used_here = db.session.execute(delete(CaptchaChallenge).where(*where)).rowcount == 1
        db.session.commit()
        if row is None or not used_here or row.created_at < utcnow() - CAPTCHA_LIFETIME:
            return None
        return row.digest


class RedisStore:
    kind = "redis"

    def __init__(self, client) -> None:
        self.redis = client

    @staticmethod
    def _key(purpose: str, challenge_id: str) -> str:
        return f"captcha:{purpose}:{challenge_id}"

    def put(self, purpose: str, challenge_id: str, digest: str, replaces: str | None) -> None:
        if replaces:
            self.redis.delete(self._key(purpose, replaces))
        self.redis.set(self._key(purpose, challenge_id), digest, ex=int(CAPTCHA_LIFETIME.total_seconds()))

    def take(self, purpose: str, challenge_id: str) -> str | None:
        value = self.redis.getdel(self._key(purpose, challenge_id))  # atomic: one request gets it
        return value.decode() if isinstance(value, bytes) else value


def store():
    """Redis when REDIS_URL is set (one client per app), else the database."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return DatabaseStore()
    extensions = current_app.extensions
    if "captcha_store" not in extensions:
        import redis

        extensions["captcha_store"] = RedisStore(
            redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True))
    return extensions["captcha_store"]


def issue_png(session_key: str, purpose: bytes, answer: str) -> bytes:
    """The image of `answer`; a new challenge replaces any earlier one of this session."""
    previous = session.get(session_key)
    challenge_id = secrets.token_urlsafe(ID_BYTES)
    store().put(purpose.decode()[:32], challenge_id, answer_digest(purpose, challenge_id, answer),
                previous if isinstance(previous, str) and len(previous) <= 64 else None)
    session[session_key] = challenge_id
    return ImageCaptcha(width=WIDTH, height=HEIGHT).generate(answer, format="png").getvalue()


def check_answer(session_key: str, purpose: bytes, given: str) -> bool:
    """True when `given` answers the captcha last shown to this session; the challenge is used up (removed
    on the server) either way, so no copy of the session can try it again."""
    challenge_id = session.pop(session_key, None)
    if not isinstance(challenge_id, str) or len(challenge_id) > 64:
        return False
    digest = store().take(purpose.decode()[:32], challenge_id)
    if digest is None or not given or len(given) > MAX_ANSWER_LENGTH:
        return False
    return hmac.compare_digest(digest, answer_digest(purpose, challenge_id, given))
