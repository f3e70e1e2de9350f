"""Sending one notice and classifying what happened, so the dispatcher knows what to do next.

WeChat's answers that matter here (template message send, customer-service message send):
- errcode 0: delivered; the msgid is kept.
- 43004 (the user does not follow the account) and 40003 (invalid openid): WeChat cannot deliver,
  now or later: SMS if the customer opted in, else undeliverable. Never both channels.
- 45015 (customer-service message outside the 48-hour window): likewise (channels.py).
- 45009 (daily API quota reached): pause all sending and retry later.
- 40001 / 40014 / 42001 (token): the client already replaced the shared token once and retried;
  if that failed too, retry later like a transient error.
- -1 (system busy), HTTP 5xx, timeouts and connection errors: retry with backoff.
- anything else (47003 bad data, 40037 bad template id ...): the message itself is unfit; retrying
  will not help: undeliverable with the errcode.
"""

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
from yarl import URL

from ..wechat.client import TOKEN_ERRCODES

NOT_FOLLOWING = 43004
INVALID_OPENID = 40003
QUOTA_REACHED = 45009
SYSTEM_BUSY = -1
WINDOW_CLOSED = 45015
TEMPLATE_SEND_PATH = "message/template/send"
CUSTOM_SEND_PATH = "message/custom/send"

SENT = "sent"
NO_WECHAT = "no_wechat"  # 43004 / 40003 / 45015: try SMS
RETRY = "retry"
PAUSE = "pause"  # 45009
REJECTED = "rejected"

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class SendResult:
    outcome: str
    msgid: str | None = None
    errcode: int | None = None
    error: str = ""


class TemplateSender:
    """POST message/template/send (or message/custom/send: `send(payload, path)`) with aiohttp on an event
    loop of its own thread: `concurrency` calls at once over keep-alive connections, without a thread per
    call (a thread pool with urllib3 cost twice the CPU per message, and at a thousand messages a second
    the dispatcher's CPU is the limit).

    `send` is a coroutine run on that loop; `submit` schedules one from another thread. The access
    token comes from the shared store (through its short cache; a read that has to go to the
    database or to WeChat runs on a worker thread, never on the loop); on 40001/40014/42001 the store
    is asked once for a replacement (one refresh for all processes) and the call is sent again."""

    def __init__(self, api_base_url: str, store: "CachedTokenStore", fetch_token: Callable, timeout: float,
                 concurrency: int) -> None:
        self.base_url = api_base_url.rstrip("/") + "/"
        self.store = store
        self.fetch_token = fetch_token
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="outbox-send", daemon=True)
        self._thread.start()
        self.session = asyncio.run_coroutine_threadsafe(self._open(timeout, concurrency), self.loop).result()

    @staticmethod
    async def _open(timeout: float, concurrency: int) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                     timeout=aiohttp.ClientTimeout(total=timeout))

    def submit(self, coroutine: Coroutine, on_done: Callable[[asyncio.Future], None]) -> None:
        """Run `coroutine` on the send loop (from any thread); `on_done(task)` runs on the loop when it ends."""
        self.loop.call_soon_threadsafe(self._start, coroutine, on_done)

    def _start(self, coroutine: Coroutine, on_done: Callable[[asyncio.Future], None]) -> None:
        self.loop.create_task(coroutine).add_done_callback(on_done)

    async def in_thread(self, function: Callable, *args):
        """A blocking call (token store, SMS gateway) on a worker thread, so the loop keeps sending."""
        return await self.loop.run_in_executor(None, function, *args)

    async def send(self, payload: dict, path: str = TEMPLATE_SEND_PATH) -> SendResult:
        url = self.base_url + path
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            token = self.store.fresh() or await self.in_thread(self.store.get, self.fetch_token)
        except Exception as exc:  # the token endpoint is down or refused us: retry the alert later
            return token_failure(exc)
        for attempt in range(2):
            try:
                async with self.session.post(URL(f"{url}?access_token={quote(token)}", encoded=True),
                                             data=body, headers=JSON_HEADERS) as response:
                    status, data = response.status, await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:  # timeout, refused, reset: never the URL (token)
                return SendResult(RETRY, error=f"WeChat API request failed: {type(exc).__name__}")
            if status != 200:
                return SendResult(RETRY, error=f"WeChat API answered HTTP {status}")
            try:
                result = json.loads(data)
            except ValueError:
                return SendResult(RETRY, error="WeChat API answered something other than JSON")
            errcode = result.get("errcode", 0) if isinstance(result, dict) else None
            if errcode in TOKEN_ERRCODES and attempt == 0:
                try:
                    token = await self.in_thread(self.store.refresh, self.fetch_token, token)
                except Exception as exc:
                    return token_failure(exc)
                continue
            if errcode == 0:
                msgid = result.get("msgid")
                return SendResult(SENT, msgid=str(msgid) if msgid is not None else None)
            return classify_errcode(errcode, result.get("errmsg", "") if isinstance(result, dict) else "")
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connections and stop the loop (call when nothing is in flight any more)."""
        if self.loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


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
    if code in (NOT_FOLLOWING, INVALID_OPENID, WINDOW_CLOSED):
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

    def fresh(self) -> str | None:
        """The cached token if it was read less than `ttl` seconds ago (no I/O), else None."""
        with self._lock:
            if self._token is not None and time.monotonic() - self._read_at < self.ttl:
                return self._token
        return None

    def get(self, fetch) -> str:
        token = self.fresh()
        if token is not None:
            return token
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
