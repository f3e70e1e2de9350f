"""WeChat OAuth2 (网页授权) for the H5 pages: who the customer is, never taken from the URL.

A view marked `@customer_required` with no openid in the session sends the browser to WeChat's
authorize URL (scope snsapi_base: silent, no consent screen) with a random `state` kept in the
session. WeChat sends the browser back to /h5/oauth/callback?code=&state=; the state must match,
the code is exchanged server to server at sns/oauth2/access_token, and the openid WeChat returns
goes into the session. Then the browser goes on to the page it asked for (a same-site path only).
The protocol itself (URLs, the exchange, WeChat's errcodes) is wechat/oauth.py; this module is the
H5 side: the session, the views and what the customer is told.
"""

import hmac
import secrets
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from ..shared.i18n import _
from ..wechat import oauth as wechat_oauth
from ..wechat.oauth import OPENID

bp = Blueprint("oauth", __name__, url_prefix="/oauth")

SESSION_CUSTOMER = "h5_customer"  # {"openid": ..., "at": unix time, "seen": unix time of the last page}
# Set to "1" by static/h5/session.js when an H5 page is hidden (the WeChat web view closed, or WeChat sent to the
# background) and cleared when a page shows again: a request that still carries it ends the customer's session.
LEFT_COOKIE = "h5_left"
LEFT_COOKIE_PATH = "/h5"
SEEN_WRITE_SECONDS = 15  # "seen" is rewritten at most this often (the cookie session changes less)
SESSION_PENDING = "h5_oauth"  # {"state": ..., "next": ...} while WeChat is asked
DEFAULT_NEXT = "/h5/"


class OAuthError(Exception):
    """The code exchange failed; `status` is what the customer's page gets."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def callback_url(config) -> str:
    return config["PUBLIC_BASE_URL"] + url_for("h5.oauth.callback")


def authorize_url(config, state: str) -> str:
    """WeChat's authorize page (snsapi_base), coming back to our callback."""
    return wechat_oauth.authorize_url(config, callback_url(config), state)


def safe_next(target: str | None) -> str:
    """A same-site path such as /h5/balance?x=1; anything else (other hosts, //host, \\) -> the hall."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return target


def current_openid() -> str | None:
    """The identified customer's openid; None when absent, older than H5_SESSION_MINUTES, idle longer than
    H5_IDLE_MINUTES, or when the last page was left with the web view closed (LEFT_COOKIE): the session ends."""
    customer = session.get(SESSION_CUSTOMER)
    if not isinstance(customer, dict):
        return None
    now = int(time.time())
    max_age = current_app.config["H5_SESSION_MINUTES"] * 60
    idle = current_app.config.get("H5_IDLE_MINUTES", 5) * 60
    at = customer.get("at")
    seen = customer.get("seen", at)
    if not isinstance(at, int) or not isinstance(seen, int) or now - at > max_age or now - seen > idle \
            or request.cookies.get(LEFT_COOKIE) == "1":
        session.pop(SESSION_CUSTOMER, None)
        return None
    openid = customer.get("openid")
    if not (isinstance(openid, str) and OPENID.fullmatch(openid)):
        return None
    if now - seen >= SEEN_WRITE_SECONDS:
        session[SESSION_CUSTOMER] = {**customer, "seen": now}
    return openid


def start_oauth(next_path: str | None):
    state = secrets.token_urlsafe(16)
    session[SESSION_PENDING] = {"state": state, "next": safe_next(next_path)}
    return redirect(authorize_url(current_app.config, state))


def customer_required(view):
    """The view runs only for a customer identified through OAuth2; `g.openid` holds the openid."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        openid = current_openid()
        if openid is None:
            response = start_oauth(request.full_path if request.query_string else request.path)
            if LEFT_COOKIE in request.cookies:  # a new session starts without it
                response.delete_cookie(LEFT_COOKIE, path=LEFT_COOKIE_PATH)
            return response
        g.openid = openid
        return view(*args, **kwargs)

    return wrapper


def exchange_code(config, code: str) -> str:
    """The openid for an OAuth2 code; OAuthError, with what the customer is told, when WeChat says no."""
    try:
        return wechat_oauth.exchange_code(config, code)
    except wechat_oauth.CodeRejected:
        raise OAuthError(400, _("授权已失效（授权码无效、已使用或已过期），请重新进入。")) from None
    except wechat_oauth.WeChatUnreachable:
        raise OAuthError(503, _("微信授权服务暂时无法访问，请稍后重试。")) from None
    except wechat_oauth.ExchangeRefused:
        raise OAuthError(503, _("微信授权服务暂时不可用，请稍后重试。")) from None


def error_page(reason: str, status: int, retry: str = DEFAULT_NEXT):
    return render_template("h5/error.html", title=_("无法确认您的身份"), reason=reason, retry=retry), status


@bp.get("/start")
def start():
    """Entry for links that name the page to open afterwards (?next=/h5/...; same-site paths only)."""
    return start_oauth(request.args.get("next"))


@bp.get("/callback")
def callback():
    pending = session.pop(SESSION_PENDING, None)
    if not isinstance(pending, dict):
        return error_page(_("登录页面已过期，请重新进入。"), 400)
    retry = safe_next(pending.get("next"))
    state = request.args.get("state", "")
    if not hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode()):
        return error_page(_("授权校验失败（state 不匹配），请重新进入。"), 400, retry)
    code = request.args.get("code", "")
    if not code or len(code) > 128:
        return error_page(_("未获得微信授权，请重新进入并同意授权。"), 400, retry)
    try:
        openid = exchange_code(current_app.config, code)
    except OAuthError as exc:
        return error_page(exc.reason, exc.status, retry)
    now = int(time.time())
    session[SESSION_CUSTOMER] = {"openid": openid, "at": now, "seen": now}
    return redirect(retry)
