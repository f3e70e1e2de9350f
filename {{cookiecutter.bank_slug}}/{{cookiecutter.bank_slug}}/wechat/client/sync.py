"""The synchronous WeChat API client (wechatpy) for this account: pushes, menu, token CLI, late replies.

Its base URL comes from the one rule in base.py: in sandbox mode (WECHAT_SANDBOX=1) it talks to
the local mock WeChat API, so every outbound call is exercised without a real account.

The access token is not kept in process memory (wechatpy's default): it comes from the shared
token store (token_store.py), and a token WeChat rejects (40001/40014/42001) is replaced by one
refresh shared by all processes, then the call is retried. Tokens come from POST /cgi-bin/stable_token
(WECHAT_TOKEN_ENDPOINT=stable, the default) or GET /cgi-bin/token (legacy); the store decides when a
stable refresh is forced.
"""

import logging
import threading
from collections.abc import Mapping

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from ... import settings
from ...settings.sections import WeChat
from ..token_store import LEGACY, AccessTokenStore, FetchedToken, TokenStoreError, mask_token, token_store
from .base import TOKEN_ERRCODES, api_base_url, count_errcode

log = logging.getLogger(__name__)

# A retried call can meet a token replaced once more meanwhile; past this, the error goes to the caller.
MAX_TOKEN_RETRIES = 2
DEFAULT_EXPIRES_IN = 7200
IP_NOT_WHITELISTED = 40164  # "invalid ip ..., not in whitelist"
IP_WHITELIST_FIX = ("服务器出口 IP 不在白名单：请在公众号后台 → 设置与开发 → 基本配置 → IP白名单 "
                    "中添加本服务器的出口 IP (the server's egress IP is not in the account's IP whitelist: "
                    "add it under 公众号后台 → 设置与开发 → 基本配置 → IP白名单)")


class SharedTokenWeChatClient(WeChatClient):
    """wechatpy's WeChatClient with the access token in the shared store instead of process memory."""

    def __init__(self, appid: str, secret: str, store: AccessTokenStore, timeout: float | None = None) -> None:
        super().__init__(appid, secret, timeout=timeout)
        self.store = store
        self._token_retries = threading.local()

    @property
    def access_token(self) -> str:
        """Used by wechatpy for every call: the shared token, refreshed ahead of its expiry."""
        try:
            return self.store.get(self.request_new_token)
        except TokenStoreError as exc:  # callers of wechatpy expect its exception for a failed call
            raise WeChatClientException(None, str(exc), client=self) from exc

    def refresh_access_token(self, stale_token: str | None = None, errcode: int | None = None) -> str:
        """Replace `stale_token` (None: whatever is stored), which WeChat refused with `errcode`, unless
        another process already has."""
        try:
            return self.store.refresh(self.request_new_token, stale_token, errcode)
        except TokenStoreError as exc:
            raise WeChatClientException(None, str(exc), client=self) from exc

    def fetch_access_token(self) -> dict:
        """wechatpy's refresh hook, kept for callers of wechatpy's API: a forced refresh via the store."""
        token = self.refresh_access_token()
        state = self.store.current()
        expires_in = int(state.seconds_left(self.store.clock())) if state else DEFAULT_EXPIRES_IN
        return {"access_token": token, "expires_in": expires_in}

    def request_new_token(self, force_refresh: bool = False) -> FetchedToken:
        """POST /cgi-bin/stable_token (normal mode, or forced), or GET /cgi-bin/token when the store's
        endpoint is legacy. Only the store calls this, holding its refresh lock."""
        legacy = getattr(self.store, "endpoint", LEGACY) == LEGACY
        url = self.API_BASE_URL + ("token" if legacy else "stable_token")
        try:
            if legacy:
                params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
                res = self._http.get(url, params=params, timeout=self.timeout)
            else:
                body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                        "force_refresh": bool(force_refresh)}
                res = self._http.post(url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise _without_url(exc, f"access token request to {url}") from None
        if res.status_code >= 400:
            raise WeChatClientException(None, f"access token request answered HTTP {res.status_code}", client=self,
                                        response=res)
        result = self._decode_result(res)
        if not isinstance(result, dict):
            raise WeChatClientException(None, "access token response is not JSON", client=self, response=res)
        if result.get("errcode", 0) != 0:
            errcode, errmsg = result["errcode"], result.get("errmsg", "")
            count_errcode(errcode)
            if errcode == IP_NOT_WHITELISTED:
                log.error("WeChat refused the access token request with 40164 (%s). %s", errmsg, IP_WHITELIST_FIX)
                errmsg = f"{errmsg} — {IP_WHITELIST_FIX}"
            raise WeChatClientException(errcode, errmsg, client=self, request=res.request, response=res)
        return FetchedToken(result.get("access_token"), result.get("expires_in", DEFAULT_EXPIRES_IN))

    def _request(self, method, url_or_endpoint, **kwargs):
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except requests.RequestException as exc:
            raise _without_url(exc, f"WeChat API request {url_or_endpoint.split('?')[0]}") from None

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):
        result = res if isinstance(res, dict) else self._decode_result(res)
        errcode = _errcode(result)
        count_errcode(errcode)
        if errcode not in TOKEN_ERRCODES:
            return super()._handle_result(res, method, url, result_processor, **kwargs)
        retries = getattr(self._token_retries, "count", 0)
        params = kwargs.get("params")
        if not self.auto_retry or retries >= MAX_TOKEN_RETRIES or not isinstance(params, dict):
            raise WeChatClientException(errcode, result.get("errmsg", errcode), client=self,
                                        request=getattr(res, "request", None), response=res)
        stale = params.get("access_token")
        log.info("WeChat rejected access token %s (errcode %s); refreshing it once for all processes",
                 mask_token(stale), errcode)
        params["access_token"] = self.refresh_access_token(stale, errcode)
        self._token_retries.count = retries + 1
        try:
            return self._request(method=method, url_or_endpoint=url, result_processor=result_processor, **kwargs)
        finally:
            self._token_retries.count = retries


def _without_url(exc: requests.RequestException, what: str) -> requests.RequestException:
    """The same kind of error, minus its text: that names the URL, whose query has the AppSecret or
    the access token. Callers can still catch requests' exceptions."""
    message = f"{what} failed: {type(exc).__name__}"
    try:
        return type(exc)(message)
    except TypeError:  # a subclass with another signature
        return requests.RequestException(message)


def _errcode(result) -> int | None:
    if not isinstance(result, dict) or "errcode" not in result:
        return None
    try:
        return int(result["errcode"])
    except (TypeError, ValueError):
        return None


def make_client(wechat: WeChat | Mapping, store: AccessTokenStore | None = None) -> SharedTokenWeChatClient:
    """A client of this account's API (the WeChat section; a flat config is still taken from the alerts
    dispatcher); its token comes from `store` (default: the current app's store)."""
    if not isinstance(wechat, WeChat):
        wechat = WeChat.from_config(wechat)
    client = SharedTokenWeChatClient(wechat.app_id, wechat.app_secret,
                                     store if store is not None else token_store(), timeout=5)
    client.API_BASE_URL = api_base_url(wechat)
    return client


def get_client() -> SharedTokenWeChatClient:
    """The current app's client."""
    return make_client(settings.of().wechat)
