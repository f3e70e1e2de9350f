"""Staff login and logout (/admin/login, /admin/logout) and the session rules of the admin panel.

- Username + password (werkzeug hashes). One generic refusal for a wrong username, a wrong password or an
  inactive account: the page never tells which usernames exist.
- The username is matched by its normalised form (models.username_key): case, full-width forms and
  zero-width characters do not make another account.
- After 3 failures for the username or from the client IP within 15 minutes, a graphic captcha is asked too;
  its answer is single-use on the server (web/captcha.py).
- ADMIN_LOCKOUT_FAILURES wrong passwords in a row lock the account for ADMIN_LOCKOUT_MINUTES (even the right
  password is refused meanwhile, with the same generic message). Locking logs a WARNING, writes an
  `account_locked` audit row, and shows in head office's staff list, where head office can unlock.
- ADMIN_SESSION_MINUTES of inactivity end the session. Sessions are revocable server-side: each carries the
  account's session_version (models.py); logout, a new password, deactivation, a role or branch change
  bump it, so every earlier copy of the cookie stops working.
- Logout is a POST (CSRF-checked) and clears the whole session.
- Logins, logouts, failed logins, lock-outs and timeouts are written to the audit log.
"""

import logging
import time
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import settings
from ..extensions import db
from ..shared.i18n import _
from ..shared.timeutil import utcnow
from . import audit, throttle
from .captcha import check_answer, issue_png
from .models import SESSION_VERSION, StaffUser, clean_username, username_key

log = logging.getLogger(__name__)

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")

SESSION_SEEN = "admin_seen"  # unix time of the staff user's last request
ADMIN_PREFIX = "/admin"
MAX_USERNAME = 64
MAX_PASSWORD = 256
# Compared against when the username does not exist, so both refusals take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _safe_next(target: str | None) -> str:
    """Only a path inside the admin panel; anything else (another site, //host, the login page) -> /admin/."""
    default = url_for("admin.index")
    if not target or not target.startswith(ADMIN_PREFIX) or target.startswith("//") or "\\" in target:
        return default
    if target.split("?", 1)[0].rstrip("/") in (ADMIN_PREFIX + "/login", ADMIN_PREFIX + "/logout"):
        return default
    return target


def _client_ip() -> str:
    return audit.client_ip()


def _login_page(error: str | None = None, username: str = "", captcha: bool = False, status: int = 200,
                notice: str | None = None):
    return render_template("admin/login.html", error=error, username=username, captcha=captcha, notice=notice,
                           next=_safe_next(request.values.get("next"))), status


@bp.get("/login")
def login():
    if current_user.is_authenticated and current_user.is_active:
        return redirect(_safe_next(request.args.get("next")))
    notice = None
    if request.args.get("expired"):
        notice = _("登录已超时，请重新登录。")
    elif request.args.get("bye"):
        notice = _("您已安全退出。")
    return _login_page(captcha=throttle.captcha_required("", _client_ip()), notice=notice)


@bp.post("/login")
def login_submit():
    username = clean_username(request.form.get("username"))[:MAX_USERNAME]  # no NUL, zero-width, ...
    password = request.form.get("password") or ""
    ip = _client_ip()
    if not username or not password:
        return _login_page(_("请输入用户名和密码。"), username, throttle.captcha_required(username, ip), 400)
    if throttle.captcha_required(username, ip):
        given = (request.form.get("captcha") or "").strip()
        if not given:
            return _login_page(_("请输入图形验证码。"), username, True, 400)
        if not check_answer(given):
            return _login_page(_("图形验证码不正确，请重新输入。"), username, True, 400)
    key = username_key(username)
    user = db.session.execute(select(StaffUser).where(StaffUser.username_key == key)).scalar_one_or_none() \
        if key else None
    password_ok = len(password) <= MAX_PASSWORD and check_password_hash(
        user.password_hash if user is not None else _DUMMY_HASH, password)
    now = utcnow()
    if user is not None and user.is_locked(now):
        throttle.note_failure(username, ip)
        audit.record("login_locked", "staff_user", user.id, None, None, staff=None, actor_username=username,
                     commit=True)
        return _refused(username, ip)
    if user is None or not user.active or not password_ok:
        throttle.note_failure(username, ip)
        if user is not None and not password_ok:
            _count_wrong_password(user, now)
        audit.record("login_failed", "staff_user", user.id if user is not None else "", None, None,
                     staff=None, actor_username=username, commit=True)
        return _refused(username, ip)
    session.clear()  # no session fixation: a fresh session for the staff user
    login_user(user)
    session[SESSION_SEEN] = int(time.time())
    session[SESSION_VERSION] = user.session_version or 0
    user.last_login_at = now
    user.failed_logins, user.locked_until = 0, None
    throttle.forget_failures(username)
    audit.record("login", "staff_user", user.id, None, None, staff=user, commit=True)
    return redirect(_safe_next(request.form.get("next")), 303)


def _refused(username: str, ip: str):
    """One refusal for a wrong username, a wrong password, an inactive or a locked account."""
    security = settings.of().security
    message = _("用户名或密码错误。连续输错 %(count)s 次账号将被锁定 %(minutes)s 分钟，"
                "如需提前解锁请联系总行管理员。", count=security.admin_lockout_failures,
                minutes=security.admin_lockout_minutes)
    return _login_page(message, username, throttle.captcha_required(username, ip), 401)


def _count_wrong_password(user: StaffUser, now) -> None:
    """One more wrong password in a row; at the limit the account locks (audited, logged at WARNING).
    The caller's audit commit carries it."""
    security = settings.of().security
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins < security.admin_lockout_failures:
        return
    user.locked_until = now + timedelta(minutes=security.admin_lockout_minutes)
    user.failed_logins = 0
    log.warning("staff account %s locked for %s minutes after %s wrong passwords in a row (last from %s)",
                user.id, security.admin_lockout_minutes, security.admin_lockout_failures, audit.client_ip())
    audit.record("account_locked", "staff_user", user.id, None,
                 {"locked_until": user.locked_until.isoformat(timespec="seconds") + "Z"},
                 staff=None, actor_username=user.username, commit=False)


@bp.get("/login/captcha.png")
def captcha_image():
    response = Response(issue_png(), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/logout")
def logout():
    staff = current_user._get_current_object() if current_user.is_authenticated else None
    if isinstance(staff, StaffUser):
        staff.end_sessions()  # every copy of this session's cookie stops working
        audit.record("logout", "staff_user", staff.id, None, None, staff=staff, commit=True)
    logout_user()
    session.clear()
    return redirect(url_for("admin_auth.login", bye=1), 303)


def end_session_when_idle():
    """Before every /admin request: an idle (ADMIN_SESSION_MINUTES) or deactivated staff session ends here."""
    if not request.path.startswith(ADMIN_PREFIX) or not current_user.is_authenticated:
        return None
    staff = current_user._get_current_object()
    now = int(time.time())
    seen = session.get(SESSION_SEEN)
    limit = current_app.config["ADMIN_SESSION_MINUTES"] * 60
    if isinstance(staff, StaffUser) and staff.active and isinstance(seen, int) and 0 <= now - seen <= limit:
        session[SESSION_SEEN] = now
        return None
    if isinstance(staff, StaffUser):
        audit.record("session_end", "staff_user", staff.id, None, None, staff=staff, commit=True)
    logout_user()
    session.clear()
    if request.endpoint in ("admin_auth.login", "admin_auth.login_submit", "admin_auth.captcha_image"):
        return None
    next_path = request.full_path if request.method == "GET" else None
    return redirect(url_for("admin_auth.login", expired=1, next=next_path))


def csrf_refused(error: CSRFError):
    """A POST to /admin without a valid CSRF token: 400 with the reason, in the staff's language."""
    if not request.path.startswith(ADMIN_PREFIX):
        return error
    reason = _("页面安全校验未通过（缺少或过期的 CSRF 校验码），请求未处理。请返回上一页刷新后重试。")
    return render_template("admin/error.html", title=_("请求已失效"), reason=reason), 400


def refused_page(error):
    """403 / 404 / 405 under /admin as a page in the staff's language (web/errors.py routes them here)."""
    if error.code == 403:
        title, reason = _("无权访问"), _("您的账号没有权限访问该页面或该记录。如需访问，请联系总行管理员。")
    else:
        title, reason = _("页面或记录不存在"), _("您访问的页面或记录不存在，或不在您的数据范围内。")
    return render_template("admin/error.html", title=title, reason=reason), error.code
