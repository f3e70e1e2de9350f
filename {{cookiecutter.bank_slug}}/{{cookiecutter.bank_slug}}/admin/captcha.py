"""The graphic captcha of the admin login, asked after 3 failed logins (see throttle.py).

Same scheme as the transfer PIN's captcha (h5/transfer/captcha_check.py): the answer lives in the session
only as an HMAC keyed with SECRET_KEY, and each answer is good for one try.
"""

import hashlib
import hmac

from captcha.image import ImageCaptcha
from flask import current_app, session

from ..h5.transfer.captcha_check import HEIGHT, WIDTH, new_answer

SESSION_CAPTCHA = "admin_login_captcha"


def answer_digest(answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"admin-login-captcha:" + answer.strip().upper().encode(), hashlib.sha256).hexdigest()


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
