"""Graphic captchas kept in the session (the transfer PIN's after 3 wrong PINs, the admin login's after
3 failed logins).

The answer lives in the session only as an HMAC keyed with SECRET_KEY (the session cookie is signed, not
encrypted, so a plain hash of 4 characters would be guessed offline), under a purpose of its own so one
captcha's answer never unlocks the other. Each answer is good for one try.
"""

import hashlib
import hmac
import secrets

from captcha.image import ImageCaptcha
from flask import current_app, session

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B look-alikes
LENGTH = 4
WIDTH, HEIGHT = 160, 60
MAX_ANSWER_LENGTH = 16


def new_answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def answer_digest(purpose: bytes, answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, purpose + b":" + answer.strip().upper().encode(), hashlib.sha256).hexdigest()


def issue_png(session_key: str, purpose: bytes, answer: str) -> bytes:
    """The image of `answer`; its digest replaces any earlier one under `session_key`."""
    session[session_key] = answer_digest(purpose, answer)
    return ImageCaptcha(width=WIDTH, height=HEIGHT).generate(answer, format="png").getvalue()


def check_answer(session_key: str, purpose: bytes, given: str) -> bool:
    """True when `given` answers the captcha last shown; the answer is used up either way."""
    expected = session.pop(session_key, None)
    if not isinstance(expected, str) or not given or len(given) > MAX_ANSWER_LENGTH:
        return False
    return hmac.compare_digest(expected, answer_digest(purpose, given))
