"""POST /cgi-bin/stable_token (获取稳定版接口调用凭据, getStableAccessToken) and the IP whitelist.

WeChat's rules, as its documentation states them (docs/wechat-platform.md):
- POST JSON {grant_type, appid, secret, force_refresh}; grant_type must be client_credential (40002);
  appid/secret as /cgi-bin/token (41002, 40013, 41004, 40125).
- Normal mode (force_refresh false or absent): while the token is valid the same token comes back,
  expires_in counting down; in its last 5 minutes WeChat issues the next one early ("平台会提前5分钟
  更新access_token"), and the previous one keeps working until its own expiry (the overlap).
- Forced mode: a new token, the previous one stops working ("会导致上次获取的access_token失效");
  at most 20 a day (Beijing time; then 45009), and one within 30 s of the last forced refresh does
  not refresh ("否则不会刷新"): the current token comes back unchanged.
- Stable tokens and /cgi-bin/token's are isolated from each other ("完全隔离，互不影响"): both work.

The IP whitelist (公众号后台 → 设置与开发 → 基本配置 → IP白名单): PUT /_mock/ip_whitelist
{"blocked": true, "ip": "203.0.113.7"} makes both token endpoints answer 40164 "invalid ip ..., not in
whitelist", as WeChat does for a server whose egress IP is not listed; {"blocked": false} lifts it.
"""

import ipaddress

from flask import Blueprint, jsonify, request

from .calls import json_body, mock_state
from .control_views import _body
from .credentials import check_app_credentials
from .errors import WeChatError
from .stable_tokens import DEFAULT_BLOCKED_IP

bp = Blueprint("mock_stable_token", __name__)


@bp.post("/cgi-bin/stable_token")
def stable_token():
    state = mock_state()
    body = json_body()
    if body.get("grant_type") != "client_credential":
        raise WeChatError(40002)
    state.stable.check_ip()
    check_app_credentials(body, state.settings)
    force = body.get("force_refresh", False)
    if not isinstance(force, bool):
        raise WeChatError(47001)
    token, expires_in, new = state.stable.get(force)
    if new:
        state.record("token", None, {"expires_in": expires_in, "access_token_tail": token[-6:]},
                     endpoint="stable_token", force_refresh=force)
    return jsonify(access_token=token, expires_in=expires_in)


@bp.before_app_request
def legacy_token_ip_check():
    """/cgi-bin/token meets the same IP whitelist."""
    if request.path == "/cgi-bin/token":
        mock_state().stable.check_ip()


@bp.put("/_mock/ip_whitelist")
def put_ip_whitelist():
    data = _body()
    if data is None or not isinstance(data.get("blocked"), bool) or set(data) - {"blocked", "ip"}:
        return jsonify(error='请求体须为 {"blocked": true|false, "ip": "..."} the body must be '
                             '{"blocked": true|false, "ip": "..."}'), 400
    ip = data.get("ip", DEFAULT_BLOCKED_IP)
    try:
        ip = str(ipaddress.IPv4Address(ip))
    except (ipaddress.AddressValueError, TypeError, ValueError):
        return jsonify(error="ip 须为 IPv4 地址 ip must be an IPv4 address"), 400
    stable = mock_state().stable
    with stable.lock:
        stable.ip_blocked = ip if data["blocked"] else None
    return {"blocked": stable.ip_blocked is not None, "ip": stable.ip_blocked}
