"""The graphic captcha of the admin login, asked after 3 failed logins (see throttle.py and web/captcha.py)."""

from ..web import captcha as captcha_guard
from ..web.captcha import new_answer  # noqa: F401  (tests replace it here)

SESSION_CAPTCHA = "admin_login_captcha"
PURPOSE = b"admin-login-captcha"


def issue_png() -> bytes:
    """A new captcha image; its answer (hashed) replaces any earlier one in the session."""
    return captcha_guard.issue_png(SESSION_CAPTCHA, PURPOSE, new_answer())


def check_answer(given: str) -> bool:
    return captcha_guard.check_answer(SESSION_CAPTCHA, PURPOSE, given)
