"""WeChat OAuth2 (网页授权) for the H5 pages: who the customer is, never taken from the URL.

A view marked `@customer_required` with no openid in the session sends the browser to WeChat's
authorize URL (scope snsapi_base: silent, no consent screen) with a random `state` kept in the
session. WeChat sends the browser back to /h5/oauth/callback?code=&state=; the state must match,
the code is exchanged server to server at sns/oauth2/access_token, and the openid WeChat returns
goes into the session. Then the browser goes on to the page it asked for (a same-site path only).
"""

import hmac
import logging
import re
import secrets
import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

import requests
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from ..shared.i18n import _

log = logging.getLogger(__name__)

bp = Blueprint("oauth", __name__, url_prefix="/oauth")

REAL_AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
REAL_API_URL = "https://api.weixin.qq.com"
SESSION_CUSTOMER = "h5_customer"  # {"openid": ..., "at": unix time}
SESSION_PENDING = "h5_oauth"  # {"state": ..., "next": ...} while WeChat is asked
DEFAULT_NEXT = "/h5/"
SCOPE = "snsapi_base"
# WeChat's errcodes for a code that is wrong, expired (40029), already used (40163) or missing (41008).
CODE_ERRCODES = {40029, 40163, 41008}
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class OAuthError(Exception):
    """The code exchange failed; `status` is what the customer's page gets."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _urls(config) -> tuple[str, str]:
    """(authorize URL, API base): WeChat's own, or the local mock API in sandbox mode."""
    if config["WECHAT_SANDBOX"]:
        base = config["WECHAT_SANDBOX_API_URL"].rstrip("/")
        return f"{base}/connect/oauth2/authorize", base
    return REAL_AUTHORIZE_URL, REAL_API_URL


def callback_url(config) -> str:
    return config["PUBLIC_BASE_URL"] + url_for("h5.oauth.callback")


def authorize_url(config, state: str) -> str:
    """WeChat insists on this parameter order and on the #wechat_redirect fragment."""
    query = urlencode([
        ("appid", config["WECHAT_APP_ID"]),
        ("redirect_uri", callback_url(config)),
        ("response_type", "code"),
        ("scope", SCOPE),
        ("state", state),
    ])
    return f"{_urls(config)[0]}?{query}#wechat_redirect"


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
    """The identified customer's openid (None when absent or older than H5_SESSION_MINUTES)."""
    customer = session.get(SESSION_CUSTOMER)
    if not isinstance(customer, dict):
        return None
    max_age = current_app.config["H5_SESSION_MINUTES"] * 60
    if not isinstance(customer.get("at"), int) or time.time() - customer["at"] > max_age:
        session.pop(SESSION_CUSTOMER, None)
        return None
    openid = customer.get("openid")
    return openid if isinstance(openid, str) and OPENID.fullmatch(openid) else None


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
            return start_oauth(request.full_path if request.query_string else request.path)
        g.openid = openid
        return view(*args, **kwargs)

    return wrapper


def exchange_code(config, code: str) -> str:
    """The openid for an OAuth2 code (sns/oauth2/access_token); OAuthError when WeChat says no."""
    url = _urls(config)[1] + "/sns/oauth2/access_token"
    params = {"appid": config["WECHAT_APP_ID"], "secret": config["WECHAT_APP_SECRET"], "code": code,
              "grant_type": "authorization_code"}
    try:
        data = requests.get(url, params=params, timeout=5).json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("oauth2 code exchange failed: %s", type(exc).__name__)
        raise OAuthError(503, _("微信授权服务暂时无法访问，请稍后重试。")) from None
    errcode = data.get("errcode") if isinstance(data, dict) else -1
    if errcode in CODE_ERRCODES:
        raise OAuthError(400, _("授权已失效（授权码无效、已使用或已过期），请重新进入。"))
    openid = data.get("openid") if isinstance(data, dict) else None
    if errcode or not isinstance(openid, str) or not OPENID.fullmatch(openid):
        log.warning("oauth2 code exchange refused: errcode=%s", errcode)
        raise OAuthError(503, _("微信授权服务暂时不可用，请稍后重试。"))
    return openid


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
    session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}
    return redirect(retry)
