"""Graphic captchas (the transfer PIN's after 3 wrong PINs, the admin login's after 3 failed logins),
single-use on the server.

The answer is kept in the database (table `captcha_challenge`, every gunicorn worker sees it), as an HMAC
keyed with SECRET_KEY over the purpose, the challenge id and the answer; the session holds only the
random challenge id. Checking an answer deletes the row first (a DELETE whose row count says whether this
request was the one that used it), so an answer is good for exactly one try: replaying a cookie from before
the submit, or racing two submits, finds no row. Challenges expire after CAPTCHA_LIFETIME and old rows are
pruned whenever a new image is drawn. Each purpose has its own rows, so one captcha's answer never unlocks
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


def issue_png(session_key: str, purpose: bytes, answer: str) -> bytes:
    """The image of `answer`; a new challenge replaces any earlier one of this session (committed)."""
    now = utcnow()
    previous = session.get(session_key)
    if isinstance(previous, str):
        db.session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.id == previous))
    db.session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.created_at < now - CAPTCHA_LIFETIME))
    challenge_id = secrets.token_urlsafe(ID_BYTES)
    db.session.add(CaptchaChallenge(id=challenge_id, purpose=purpose.decode()[:32], created_at=now,
                                    digest=answer_digest(purpose, challenge_id, answer)))
    db.session.commit()
    session[session_key] = challenge_id
    return ImageCaptcha(width=WIDTH, height=HEIGHT).generate(answer, format="png").getvalue()


def check_answer(session_key: str, purpose: bytes, given: str) -> bool:
    """True when `given` answers the captcha last shown to this session; the challenge is used up (deleted
    on the server) either way, so no copy of the session can try it again."""
    challenge_id = session.pop(session_key, None)
    if not isinstance(challenge_id, str) or len(challenge_id) > 64:
        return False
    where = (CaptchaChallenge.id == challenge_id, CaptchaChallenge.purpose == purpose.decode()[:32])
    row = db.session.execute(select(CaptchaChallenge.digest, CaptchaChallenge.created_at).where(*where)).first()
    used_here = db.session.execute(delete(CaptchaChallenge).where(*where)).rowcount == 1
    db.session.commit()
    if row is None or not used_here or row.created_at < utcnow() - CAPTCHA_LIFETIME:
        return False
    if not given or len(given) > MAX_ANSWER_LENGTH:
        return False
    return hmac.compare_digest(row.digest, answer_digest(purpose, challenge_id, given))
