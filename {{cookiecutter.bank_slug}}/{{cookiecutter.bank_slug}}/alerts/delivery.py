"""Sending one alert and classifying what happened, so the dispatcher knows what to do next.

WeChat's answers that matter here (template message send):
- errcode 0: delivered; the msgid is kept.
- 43004 (the user does not follow the account) and 40003 (invalid openid): WeChat cannot deliver,
  now or later: SMS if the customer opted in, else undeliverable. Never both channels.
- 45009 (daily API quota reached): pause all sending and retry later.
- 40001 / 40014 / 42001 (token): the client already replaced the shared token once and retried;
  if that failed too, retry later like a transient error.
- -1 (system busy), HTTP 5xx, timeouts and connection errors: retry with backoff.
- anything else (47003 bad data, 40037 bad template id ...): the message itself is unfit; retrying
  will not help: undeliverable with the errcode.
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import urllib3

from ..wechat.client import TOKEN_ERRCODES

NOT_FOLLOWING = 43004
INVALID_OPENID = 40003
QUOTA_REACHED = 45009
SYSTEM_BUSY = -1
TEMPLATE_SEND_PATH = "message/template/send"

SENT = "sent"
NO_WECHAT = "no_wechat"  # 43004 / 40003: try SMS
RETRY = "retry"
PAUSE = "pause"  # 45009
REJECTED = "rejected"


@dataclass(frozen=True)
class SendResult:
    outcome: str
    msgid: str | None = None
    errcode: int | None = None
    error: str = ""


class TemplateSender:
    """POST message/template/send on one keep-alive connection pool shared by the send threads
    (urllib3: at a thousand messages a second, requests' and wechatpy's per-call overhead is the
    bottleneck). The access token comes from the shared store; on 40001/40014/42001 the store is
    asked once for a replacement (one refresh for all processes) and the call is sent again."""

    def __init__(self, api_base_url: str, store, fetch_token: Callable, timeout: float, connections: int) -> None:
        self.url = api_base_url.rstrip("/") + "/" + TEMPLATE_SEND_PATH
        self.store = store
        self.fetch_token = fetch_token
        self.pool = urllib3.PoolManager(num_pools=2, maxsize=connections, block=True, retries=False,
                                        timeout=urllib3.Timeout(total=timeout))

    def send(self, payload: dict) -> SendResult:
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            token = self.store.get(self.fetch_token)
        except Exception as exc:  # the token endpoint is down or refused us: retry the alert later
            return token_failure(exc)
        for attempt in range(2):
            try:
                response = self.pool.request("POST", f"{self.url}?access_token={quote(token)}", body=body,
                                             headers={"Content-Type": "application/json"})
            except urllib3.exceptions.HTTPError as exc:  # timeout, refused, reset: never the URL (it has the token)
                return SendResult(RETRY, error=f"WeChat API request failed: {type(exc).__name__}")
            if response.status != 200:
                return SendResult(RETRY, error=f"WeChat API answered HTTP {response.status}")
            try:
                result = json.loads(response.data)
            except ValueError:
                return SendResult(RETRY, error="WeChat API answered something other than JSON")
            errcode = result.get("errcode", 0) if isinstance(result, dict) else None
            if errcode in TOKEN_ERRCODES and attempt == 0:
                try:
                    token = self.store.refresh(self.fetch_token, token)
                except Exception as exc:
                    return token_failure(exc)
                continue
            if errcode == 0:
                msgid = result.get("msgid")
                return SendResult(SENT, msgid=str(msgid) if msgid is not None else None)
            return classify_errcode(errcode, result.get("errmsg", "") if isinstance(result, dict) else "")
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.pool.clear()


def token_failure(exc: Exception) -> SendResult:
    """No access token: 45009 (quota) pauses like a refused send; anything else (WeChat down, a
    wrong AppSecret) is retried later, it says nothing about the alert itself."""
    errcode = getattr(exc, "errcode", None)
    error = f"access token: {type(exc).__name__} {errcode or ''}".strip()
    if errcode == QUOTA_REACHED:
        return SendResult(PAUSE, errcode=QUOTA_REACHED, error=f"errcode 45009 ({error})")
    return SendResult(RETRY, errcode=errcode, error=error)


def classify_errcode(errcode, errmsg) -> SendResult:
    try:
        code = int(errcode) if errcode is not None else None
    except (TypeError, ValueError):
        code = None
    error = f"errcode {code}: {errmsg}"[:200] if code is not None else "HTTP error from WeChat"
    if code in (NOT_FOLLOWING, INVALID_OPENID):
        return SendResult(NO_WECHAT, errcode=code, error=error)
    if code == QUOTA_REACHED:
        return SendResult(PAUSE, errcode=code, error=error)
    if code is None or code == SYSTEM_BUSY or code in TOKEN_ERRCODES:
        return SendResult(RETRY, errcode=code, error=error)
    return SendResult(REJECTED, errcode=code, error=error)


class CachedTokenStore:
    """The shared token store seen through a short cache: a dispatcher sending a thousand messages a
    second reads the token once every `ttl` seconds, not once a message. A token replaced meanwhile
    costs one 40001 answer, after which the client's forced refresh finds the new one in the store."""

    def __init__(self, store, ttl: float = 2.0) -> None:
        self.store = store
        self.ttl = ttl
        self._token: str | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    @property
    def clock(self):
        return self.store.clock

    def current(self):
        return self.store.current()

    def get(self, fetch) -> str:
        with self._lock:
            if self._token is not None and time.monotonic() - self._read_at < self.ttl:
                return self._token
        token = self.store.get(fetch)
        self._remember(token)
        return token

    def refresh(self, fetch, stale_token: str | None = None) -> str:
        token = self.store.refresh(fetch, stale_token)
        self._remember(token)
        return token

    def _remember(self, token: str) -> None:
        with self._lock:
            self._token, self._read_at = token, time.monotonic()
