"""Where WeChat is: the one base-URL rule for every call the service makes to WeChat.

WeChat has these hosts: api.weixin.qq.com (the API, server to server: access tokens, messages, menu,
the OAuth2 code exchange), open.weixin.qq.com (the OAuth2 authorize page the customer's browser
is sent to) and mp.weixin.qq.com (showqrcode: a QR code's image by its ticket). In sandbox mode
(WECHAT_SANDBOX=1) the local mock WeChat server at WECHAT_SANDBOX_API_URL plays all three, on the same
paths. The sync client, the async client, OAuth2, showqrcode and the sandbox SMS gateway all ask
`base_url`; nothing else in the package names a WeChat host or reads WECHAT_SANDBOX_API_URL
(tests/test_wechat_client_base.py keeps it that way).
"""

from collections.abc import Mapping

from prometheus_client import Counter

API = "api"
OPEN = "open"
MP = "mp"
REAL_HOSTS = {API: "https://api.weixin.qq.com", OPEN: "https://open.weixin.qq.com", MP: "https://mp.weixin.qq.com"}
# WeChat's "invalid credential", "invalid access_token" and "access_token expired": the answers after
# which both clients replace the shared token once and send the call again.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})


def _sandbox(config) -> tuple[bool, str]:
    """(sandbox mode, the mock's URL) from a flat config or the WeChat settings section."""
    if isinstance(config, Mapping):
        return bool(config["WECHAT_SANDBOX"]), config["WECHAT_SANDBOX_API_URL"]
    return config.sandbox, config.sandbox_api_url


def sandbox_url(config) -> str:
    """The mock WeChat server's URL, no trailing slash (it also takes the sandbox's SMS)."""
    return _sandbox(config)[1].rstrip("/")


def base_url(config, host: str = API) -> str:
    """WeChat's `host` (API, OPEN or MP), or the mock in sandbox mode; no trailing slash. `config` is the flat
    configuration or the WeChat settings section."""
    if host not in REAL_HOSTS:
        raise ValueError(f"unknown WeChat host {host!r}")
    return sandbox_url(config) if _sandbox(config)[0] else REAL_HOSTS[host]


def api_base_url(config) -> str:
    """The base of the official-account API (…/cgi-bin/), as wechatpy and the async client want it."""
    return base_url(config, API) + "/cgi-bin/"


API_ERRORS = Counter("wechat_bank_wechat_api_errors_total", "WeChat API answers with a non-zero errcode, by errcode.",
                     ["errcode"])


def count_errcode(errcode) -> None:
    """Count one WeChat API answer whose errcode is not 0 (for /metrics)."""
    try:
        code = int(errcode)
    except (TypeError, ValueError):
        return
    if code:
        API_ERRORS.labels(errcode=str(code)).inc()
