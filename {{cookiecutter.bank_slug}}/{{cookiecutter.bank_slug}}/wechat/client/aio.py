"""The asynchronous WeChat API client (aiohttp): many calls at once, for senders of volume (the alerts).

`AsyncWeChatClient` runs an event loop on a thread of its own and POSTs JSON calls there:
`concurrency` calls at once over keep-alive connections, without a thread per call (a thread pool
with urllib3 cost twice the CPU per message, and at a thousand messages a second the sender's CPU
is the limit). `submit` schedules a coroutine on that loop from any thread; `feed` hands over a
whole batch of items at once to at most `concurrency` worker coroutines that take one item after
another (one wake-up of the loop per batch, no task per item, never more calls waiting for a
connection than there are connections); `in_thread` runs a blocking call (token store, SMS
gateway) on a worker thread so the loop keeps sending.

The access token comes from the shared store seen through `CachedTokenStore` (a read that has to go
to the database or to WeChat runs on a worker thread, never on the loop); on 40001/40014/42001 the
store is asked once for a replacement (one refresh for all processes) and the call is sent again.

A call ends in an `ApiAnswer` in WeChat's own terms (errcode, errmsg, the JSON), or in a failure
(no token, no usable HTTP answer) whose text never holds the URL (its query has the token). What an
errcode means for the caller's message is the caller's business.
"""

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
from yarl import URL

from .base import TOKEN_ERRCODES, count_errcode

log = logging.getLogger(__name__)
TEMPLATE_SEND_PATH = "message/template/send"
JSON_HEADERS = {"Content-Type": "application/json"}

TOKEN = "token"  # no access token: the token endpoint is down or refused us
TRANSPORT = "transport"  # no usable answer: timeout, refused, reset, an HTTP error status, not JSON


@dataclass(slots=True)  # one per call: not frozen, cheaper to build
class ApiAnswer:
    """How one call ended. `failure` is "" when WeChat answered JSON, else TOKEN or TRANSPORT with
    `error` saying what went wrong. `errcode` is WeChat's as sent (0 when absent, None when the JSON
    is not an object; for TOKEN, the token endpoint's if it gave one)."""

    failure: str = ""
    errcode: object = None
    errmsg: str = ""
    error: str = ""
    data: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.failure and self.errcode == 0

    @property
    def msgid(self) -> str | None:
        msgid = self.data.get("msgid") if self.data else None
        return str(msgid) if msgid is not None else None


def token_failure(exc: Exception) -> ApiAnswer:
    errcode = getattr(exc, "errcode", None)
    return ApiAnswer(TOKEN, errcode=errcode, error=f"access token: {type(exc).__name__} {errcode or ''}".strip())


def json_answer(data: bytes) -> ApiAnswer:
    try:
        result = json.loads(data)
    except ValueError:
        return ApiAnswer(TRANSPORT, error="WeChat API answered something other than JSON")
    if not isinstance(result, dict):
        return ApiAnswer()
    count_errcode(result.get("errcode", 0))
    return ApiAnswer(errcode=result.get("errcode", 0), errmsg=result.get("errmsg", ""), data=result)


class AsyncWeChatClient:
    """POST JSON calls to `base_url` (api_base_url(config): …/cgi-bin/) from an event loop of its own."""

    def __init__(self, base_url: str, store: "CachedTokenStore", fetch_token: Callable, timeout: float,
                 concurrency: int) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.store = store
        self.fetch_token = fetch_token  # FetchedToken from WeChat; the store calls it under its refresh lock
        self.concurrency = concurrency
        self._urls: dict[tuple[str, str], URL] = {}  # (path, token) -> the URL; only the loop's thread uses it
        self._items: deque = deque()  # what `feed` handed over and no worker has taken yet (the loop's)
        self._workers = 0  # worker coroutines running `feed`'s items (the loop's)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="wechat-aio", daemon=True)
        self._thread.start()
        self.session = asyncio.run_coroutine_threadsafe(self._open(timeout, concurrency), self.loop).result()

    @staticmethod
    async def _open(timeout: float, concurrency: int) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                     timeout=aiohttp.ClientTimeout(total=timeout))

    def submit(self, coroutine: Coroutine, on_done: Callable[[asyncio.Future], None]) -> None:
        """Run `coroutine` on the client's loop (from any thread); `on_done(task)` runs on the loop when it ends."""
        self.loop.call_soon_threadsafe(self._start, coroutine, on_done)

    def _start(self, coroutine: Coroutine, on_done: Callable[[asyncio.Future], None]) -> None:
        self.loop.create_task(coroutine).add_done_callback(on_done)

    def feed(self, items: Iterable, handle: Callable[[object], Coroutine], on_done: Callable[[object], None]) -> None:
        """From any thread: `on_done(await handle(item))` on the loop for every item, oldest first, with at
        most `concurrency` items handled at once. `handle` must not raise (it answers with an outcome)."""
        items = list(items)
        if items:
            self.loop.call_soon_threadsafe(self._take, items, handle, on_done)

    def _take(self, items: list, handle, on_done) -> None:
        self._items.extend((item, handle, on_done) for item in items)
        while self._workers < self.concurrency and self._workers < len(self._items):
            self._workers += 1
            self.loop.create_task(self._work())

    async def _work(self) -> None:
        """A worker: items one after another while there are any (like a keep-alive caller), then it ends."""
        items = self._items
        try:
            while items:
                item, handle, on_done = items.popleft()
                try:
                    on_done(await handle(item))
                except Exception:  # a broken handler must not stop the others: say so loudly
                    log.exception("a fed item's handler raised")
        finally:
            self._workers -= 1

    async def in_thread(self, function: Callable, *args):
        """A blocking call on a worker thread, so the loop keeps sending."""
        return await self.loop.run_in_executor(None, function, *args)

    async def send_template(self, payload: dict) -> ApiAnswer:
        """message/template/send; `answer.msgid` is WeChat's id of the message when `answer.ok`."""
        return await self.post(TEMPLATE_SEND_PATH, payload)

    async def post(self, path: str, payload: dict) -> ApiAnswer:
        """POST `payload` as JSON to `path` with the shared token, replaced once if WeChat rejects it."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            token = self.store.fresh() or await self.in_thread(self.store.get, self.fetch_token)
        except Exception as exc:  # the token endpoint is down or refused us: the caller decides
            return token_failure(exc)
        answer = await self._post_once(path, body, token)
        if answer.failure or answer.errcode not in TOKEN_ERRCODES:
            return answer
        try:
            token = await self.in_thread(self.store.refresh, self.fetch_token, token, answer.errcode)
        except Exception as exc:
            return token_failure(exc)
        return await self._post_once(path, body, token)

    def _url(self, path: str, token: str) -> URL:
        url = self._urls.get((path, token))
        if url is None:
            if len(self._urls) > 64:  # tokens replaced over a long run
                self._urls.clear()
            url = self._urls[path, token] = URL(f"{self.base_url}{path}?access_token={quote(token)}", encoded=True)
        return url

    async def _post_once(self, path: str, body: bytes, token: str) -> ApiAnswer:
        url = self._url(path, token)
        try:
            async with self.session.post(url, data=body, headers=JSON_HEADERS) as response:
                status, data = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:  # timeout, refused, reset: never the URL (token)
            return ApiAnswer(TRANSPORT, error=f"WeChat API request failed: {type(exc).__name__}")
        if status != 200:
            return ApiAnswer(TRANSPORT, error=f"WeChat API answered HTTP {status}")
        return json_answer(data)

    def close(self) -> None:
        """Close the connections and stop the loop (call when nothing is in flight any more)."""
        if self.loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


class CachedTokenStore:
    """The shared token store seen through a short cache: a sender of a thousand messages a second
    reads the token once every `ttl` seconds, not once a message. A token replaced meanwhile costs
    one 40001 answer, after which the client's forced refresh finds the new one in the store."""

    def __init__(self, store, ttl: float = 2.0) -> None:
        self.store = store
        self.ttl = ttl
        self._token: str | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    @property
    def clock(self):
        return self.store.clock

    @property
    def endpoint(self) -> str:
        return self.store.endpoint

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

    def refresh(self, fetch, stale_token: str | None = None, errcode: int | None = None) -> str:
        token = self.store.refresh(fetch, stale_token, errcode)
        self._remember(token)
        return token

    def _remember(self, token: str) -> None:
        with self._lock:
            self._token, self._read_at = token, time.monotonic()
