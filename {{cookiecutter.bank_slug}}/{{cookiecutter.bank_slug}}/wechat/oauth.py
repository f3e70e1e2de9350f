"""WeChat OAuth2 (网页授权), the protocol: the authorize URL and the code exchange (like wechatpy.oauth).

The browser goes to open.weixin.qq.com/connect/oauth2/authorize (the parameters in WeChat's order,
then #wechat_redirect); WeChat sends it back to `redirect_uri` with ?code=&state=. The code is
exchanged server to server at api.weixin.qq.com/sns/oauth2/access_token for the user's openid.
Both hosts come from the one base-URL rule (wechat/client/base.py): the mock WeChat in sandbox mode.

A code that is wrong or expired (40029), already used (40163) or missing (41008) raises
`CodeRejected` (the user has to start again); WeChat unreachable (or not answering JSON) raises
`WeChatUnreachable`; any other errcode, or an answer without a well-formed openid, raises
`ExchangeRefused`. No message holds the code or the AppSecret. What the customer is shown is the H5
side's business (h5/oauth.py).
"""

import logging
import re
from urllib.parse import urlencode

import requests

from .client.base import API, OPEN, base_url

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/connect/oauth2/authorize"
ACCESS_TOKEN_PATH = "/sns/oauth2/access_token"
SCOPE_BASE = "snsapi_base"  # silent: the openid only, no consent screen
# WeChat's errcodes for a code that is wrong, expired (40029), already used (40163) or missing (41008).
CODE_ERRCODES = frozenset({40029, 40163, 41008})
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
TIMEOUT_SECONDS = 5


class WeChatOAuthError(Exception):
    """The code exchange gave no openid."""


class CodeRejected(WeChatOAuthError):
    """WeChat refused the code itself (40029/40163/41008): a new authorization is needed."""


class WeChatUnreachable(WeChatOAuthError):
    """WeChat could not be asked, or did not answer JSON."""


class ExchangeRefused(WeChatOAuthError):
    """WeChat refused for another reason than the code, or answered no well-formed openid."""


def authorize_url(config, redirect_uri: str, state: str, scope: str = SCOPE_BASE) -> str:
    """Where to send the browser. WeChat insists on this parameter order and on the #wechat_redirect fragment."""
    query = urlencode([
        ("appid", config["WECHAT_APP_ID"]),
        ("redirect_uri", redirect_uri),
        ("response_type", "code"),
        ("scope", scope),
        ("state", state),
    ])
    return f"{base_url(config, OPEN)}{AUTHORIZE_PATH}?{query}#wechat_redirect"


def exchange_code(config, code: str) -> str:
    """The openid for an OAuth2 code (sns/oauth2/access_token); a WeChatOAuthError when none."""
    params = {"appid": config["WECHAT_APP_ID"], "secret": config["WECHAT_APP_SECRET"], "code": code,
              "grant_type": "authorization_code"}
    try:
        data = requests.get(base_url(config, API) + ACCESS_TOKEN_PATH, params=params, timeout=TIMEOUT_SECONDS).json()
    except (requests.RequestException, ValueError) as exc:  # never the exception's text: its URL has the secret
        log.warning("oauth2 code exchange failed: %s", type(exc).__name__)
        raise WeChatUnreachable(f"code exchange failed: {type(exc).__name__}") from None
    return openid_from(data)


def openid_from(data) -> str:
    """The openid in an access_token answer, or the matching error."""
    errcode = data.get("errcode") if isinstance(data, dict) else -1
    if errcode in CODE_ERRCODES:
        raise CodeRejected(f"errcode {errcode}")
    openid = data.get("openid") if isinstance(data, dict) else None
    if errcode or not isinstance(openid, str) or not OPENID.fullmatch(openid):
        log.warning("oauth2 code exchange refused: errcode=%s", errcode)
        raise ExchangeRefused(f"code exchange refused: errcode {errcode}")
    return openid
