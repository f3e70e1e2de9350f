"""网页授权 (OAuth2) for the bank's web pages: the authorize redirect and the code exchange.

The "current WeChat user" is the simulator's choice, in the `mock_openid` cookie on the mock's
origin; tests may pass `?mock_openid=` instead, on the authorize URL only.
"""

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, request

from .calls import mock_state
from .credentials import check_app_credentials
from .errors import WeChatError

bp = Blueprint("mock_oauth", __name__)

SCOPES = ("snsapi_base", "snsapi_userinfo")
SNS_TOKEN_TTL_SECONDS = 7200


def _refuse(reason: str) -> Response:
    """WeChat shows an error page in the in-app browser; the mock answers 400 with the reason."""
    return Response(reason, status=400, mimetype="text/plain")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


@bp.get("/connect/oauth2/authorize")
def authorize():
    state = mock_state()
    args = request.args
    if args.get("appid") != state.settings.app_id:
        return _refuse("appid 参数错误 the appid is not this account's")
    redirect_uri = args.get("redirect_uri", "")
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.hostname:
        return _refuse("redirect_uri 参数错误 redirect_uri must be an http(s) URL")
    if target.hostname.lower() not in state.settings.oauth_hosts:
        return _refuse("redirect_uri 域名与后台配置不一致，错误码 10003 "
                       "redirect_uri is not on the account's OAuth domain")
    if args.get("response_type") != "code":
        return _refuse("response_type 参数错误 response_type must be code")
    scope = args.get("scope")
    if scope not in SCOPES:
        return _refuse("scope 参数错误或没有 scope 权限，错误码 10005 scope must be snsapi_base or snsapi_userinfo")
    openid = args.get("mock_openid") or request.cookies.get("mock_openid")
    if not openid:
        return _refuse("请先在模拟器中选择微信用户 choose a simulated WeChat user first (cookie mock_openid)")
    if state.user(openid) is None:
        return _refuse("未知的模拟用户 unknown simulated user; add it with POST /_mock/users")
    code = state.issue_code(openid, scope)
    return redirect(_with_query(redirect_uri, code=code, state=args.get("state", "")), code=302)


@bp.get("/sns/oauth2/access_token")
def exchange_code():
    state = mock_state()
    args = request.args
    check_app_credentials(args, state.settings)
    if not args.get("code"):
        raise WeChatError(41008)
    if args.get("grant_type") != "authorization_code":
        raise WeChatError(40002)
    grant = state.redeem_code(args["code"])
    return {
        "access_token": secrets.token_urlsafe(64),
        "expires_in": SNS_TOKEN_TTL_SECONDS,
        "refresh_token": secrets.token_urlsafe(64),
        "openid": grant.openid,
        "scope": grant.scope,
    }
