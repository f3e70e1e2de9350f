"""The one WeChat API client of this account, in API families over one base-URL rule (base.py).

- `sync`: wechatpy's client on the shared token store (`get_client()`, `make_client(config)`), for
  pushes, the menu, the token CLI, late replies and transfer notices; wechatpy's own families
  (`client.message`, `client.menu`, ...) are its API.
- `aio`: the asynchronous client (aiohttp) for senders of volume: template messages for the alerts.
- OAuth2 (网页授权) is `wechat.oauth`, like wechatpy's `wechatpy.oauth`: another host, no access token.

Both clients take the access token from the shared store (wechat/token_store.py) and replace a
token WeChat rejects once for all processes.
"""

from .base import API, MP, OPEN, TOKEN_ERRCODES, api_base_url, base_url, sandbox_url
from .sync import DEFAULT_EXPIRES_IN, MAX_TOKEN_RETRIES, SharedTokenWeChatClient, get_client, make_client

__all__ = [
    "API",
    "DEFAULT_EXPIRES_IN",
    "MAX_TOKEN_RETRIES",
    "MP",
    "OPEN",
    "TOKEN_ERRCODES",
    "SharedTokenWeChatClient",
    "api_base_url",
    "base_url",
    "get_client",
    "make_client",
    "sandbox_url",
]
