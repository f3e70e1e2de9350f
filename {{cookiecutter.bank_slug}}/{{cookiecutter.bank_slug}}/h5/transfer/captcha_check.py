"""The graphic captcha asked with the PIN after 3 wrong PINs in a row.

The answer lives in the session only as an HMAC (keyed with SECRET_KEY: the session cookie is signed,
not encrypted, so a plain hash of 4 characters would be guessed offline). Each answer is good for one try.
"""

import hashlib
import hmac
import secrets

from captcha.image import ImageCaptcha
from flask import current_app, session

SESSION_CAPTCHA = "transfer_captcha"
ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B look-alikes
LENGTH = 4
WIDTH, HEIGHT = 160, 60


def new_answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def answer_digest(answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"transfer-captcha:" + answer.strip().upper().encode(), hashlib.sha256).hexdigest()


def issue_png() -> bytes:
    """A new captcha image; its answer (hashed) replaces any earlier one in the session."""
    answer = new_answer()
    session[SESSION_CAPTCHA] = answer_digest(answer)
    return ImageCaptcha(width=WIDTH, height=HEIGHT).generate(answer, format="png").getvalue()


def check_answer(given: str) -> bool:
    """True when `given` answers the captcha last shown; the answer is used up either way."""
    expected = session.pop(SESSION_CAPTCHA, None)
    if not isinstance(expected, str) or not given or len(given) > 16:
        return False
    return hmac.compare_digest(expected, answer_digest(given))
