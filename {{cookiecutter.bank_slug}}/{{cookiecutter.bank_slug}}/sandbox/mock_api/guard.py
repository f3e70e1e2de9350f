"""Who may drive the mock: its control endpoints (/_mock/*, /simulator/api/*) change its state and make the
simulator sign pushes to the service, so a web page on the internet must not reach them from the
developer's browser (a cross-origin "simple" POST with text/plain needs no CORS pre-flight).

- Every request to /_mock/ or /simulator/ must name a host of this machine or the service's (no DNS
  rebinding of the page that carries the token).
- A POST/PUT/DELETE/PATCH there needs the header X-Mock-Token (the run's token: random, or derived from
  SECRET_KEY by MockSettings.from_config so the service's sandbox SMS sender knows it; the simulator page
  gets it in a <meta> tag), must not come from another Origin, and a body must be JSON.

Refusals: 403 / 415 with `{"error": "<Chinese> <English>"}`.
"""

import hmac
from urllib.parse import urlsplit

from flask import current_app, jsonify, request

from ...sms import MOCK_TOKEN_HEADER

GUARDED_PREFIXES = ("/_mock/", "/simulator/")
CONTROL_PREFIXES = ("/_mock/", "/simulator/api/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _refused(reason: str, status: int = 403):
    return jsonify(error=reason), status


def _same_origin(origin: str) -> bool:
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}".lower() == request.host_url.rstrip("/").lower()


def check_control_request():
    """before_request of the mock app: None lets the request through."""
    if not request.path.startswith(GUARDED_PREFIXES):
        return None
    settings = current_app.extensions["mock_wechat"].settings
    if (request.host.rsplit(":", 1)[0].strip("[]").lower() or "") not in {*settings.oauth_hosts, "::1"}:
        return _refused("该主机名不能访问模拟器 host not allowed for the mock's pages")
    if request.method in SAFE_METHODS or not request.path.startswith(CONTROL_PREFIXES):
        return None
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin):
        return _refused("拒绝跨站请求 cross-origin request refused")
    given = request.headers.get(MOCK_TOKEN_HEADER, "").encode("utf-8", "replace")
    if not hmac.compare_digest(given, settings.control_token.encode()):
        return _refused(f"缺少或错误的 {MOCK_TOKEN_HEADER} missing or wrong {MOCK_TOKEN_HEADER}")
    if (request.content_length or request.headers.get("Transfer-Encoding")) and request.mimetype != "application/json":
        return _refused("请求体须为 JSON（Content-Type: application/json） the body must be JSON", 415)
    return None
