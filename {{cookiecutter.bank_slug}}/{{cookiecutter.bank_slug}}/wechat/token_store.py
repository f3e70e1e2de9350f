"""One WeChat access token for every process: gunicorn workers, CLI commands and background jobs.

Each token WeChat issues invalidates the previous one, so processes must not each fetch their own.
The token lives in one shared store, the database by default (table `wechat_access_token`) or Redis
when REDIS_URL is set, and:

* callers use the stored token while it is fresh, i.e. more than the refresh margin
  (WECHAT_TOKEN_REFRESH_MARGIN_SECONDS) before it expires, so nobody uses a token about to expire;
* one process at a time refreshes, under a lock: `SELECT ... FOR UPDATE` on the token row on
  PostgreSQL, a `BEGIN IMMEDIATE` write transaction on SQLite, a redis-py Lock on Redis. Whoever
  waited for the lock re-reads the store and takes the token the lock holder fetched;
* when WeChat answers 40001/40014/42001 the caller asks for a refresh naming the token that
  failed. If the store already holds a different fresh token, another process has refreshed: that
  one is used and WeChat is not asked again.

Two endpoints fetch tokens (WECHAT_TOKEN_ENDPOINT): `stable` (the default) POSTs /cgi-bin/stable_token,
`legacy` GETs /cgi-bin/token. With `stable`, a refresh uses the normal mode (WeChat hands back the
token it holds while that is valid, a new one near its end) and asks for `force_refresh=true` only
after a 40001 for exactly the token the store holds (or from `flask wechat token --refresh`): WeChat
allows 20 forced refreshes a day (then 45009) and ignores one within 30 s of the last, so the store
counts them per Beijing day and refuses locally (ForcedRefreshRefused, logged) a 21st or one
within 30 s. With `legacy` every fetch is a new token, as before.

Nothing depends on process memory: every call reads the store. Tokens are logged masked only.
"""

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import AccessToken

log = logging.getLogger(__name__)

DEFAULT_REFRESH_MARGIN_SECONDS = 300.0
DEFAULT_LOCK_TIMEOUT_SECONDS = 30.0
MAX_TOKEN_LENGTH = 512
EXTENSION_KEY = "wechat_token_store"
STABLE, LEGACY = "stable", "legacy"
TOKEN_ENDPOINTS = (STABLE, LEGACY)
INVALID_CREDENTIAL = 40001  # the one errcode after which a stable token is force-refreshed
FORCED_PER_DAY = 20  # getStableAccessToken: force_refresh "限制每天20次"
FORCED_MIN_INTERVAL_SECONDS = 30.0  # "调用时间隔至少为30s，否则不会刷新"
BEIJING_OFFSET_SECONDS = 8 * 3600  # WeChat's daily quotas reset at midnight Beijing time


class TokenStoreError(RuntimeError):
    """The shared token could not be locked, fetched or stored."""


class ForcedRefreshRefused(TokenStoreError):
    """A stable_token forced refresh was not asked for: today's 20 are used, or the last was < 30 s ago."""


def beijing_day(epoch: float) -> int:
    """Days since the epoch in Beijing time: WeChat's daily limits start again at its midnight."""
    return int(epoch + BEIJING_OFFSET_SECONDS) // 86400


@dataclass(frozen=True)
class FetchedToken:
    """What WeChat's /cgi-bin/token answered."""

    token: str
    expires_in: float  # seconds


Fetcher = Callable[..., FetchedToken]  # fetch() in normal mode; fetch(force_refresh=True) for a forced stable refresh


@dataclass(frozen=True)
class TokenState:
    """The stored token. Times are seconds since the epoch."""

    token: str
    expires_at: float
    updated_at: float  # when it was fetched
    version: int  # number of refreshes so far
    forced_day: int = 0  # beijing_day of the forced refreshes counted in forced_count
    forced_count: int = 0
    forced_at: float | None = None  # the last forced refresh

    def forced_today(self, now: float) -> int:
        return self.forced_count if self.forced_day == beijing_day(now) else 0

    def seconds_left(self, now: float) -> float:
        return self.expires_at - now

    def is_fresh(self, now: float, margin: float) -> bool:
        """Usable now: more than `margin` before expiry. The margin is capped at half the token's
        lifetime, so a short-lived token (the sandbox's) is not refetched on every call."""
        lifetime = max(0.0, self.expires_at - self.updated_at)
        return now < self.expires_at - min(margin, lifetime / 2)


@dataclass
class LockedSlot:
    """The store's content while its refresh lock is held, and how to replace it."""

    state: TokenState | None
    write: Callable[[TokenState], None]


def mask_token(token: str | None) -> str:
    """Enough of a token to tell two apart in a log line or the CLI, never enough to use it."""
    if not token:
        return "(none)"
    if len(token) < 16:
        return "****"
    return f"{token[:4]}...{token[-4:]} ({len(token)} chars)"


class AccessTokenStore(ABC):
    """The refresh protocol; subclasses provide reading, locking and writing."""

    kind = "abstract"

    def __init__(self, app_id: str, margin_seconds: float = DEFAULT_REFRESH_MARGIN_SECONDS,
                 clock: Callable[[], float] = time.time, endpoint: str = LEGACY) -> None:
        if endpoint not in TOKEN_ENDPOINTS:
            raise TokenStoreError(f"unknown token endpoint {endpoint!r}; one of {', '.join(TOKEN_ENDPOINTS)}")
        self.app_id = app_id
        self.margin = margin_seconds
        self.clock = clock
        self.endpoint = endpoint

    def current(self) -> TokenState | None:
        """What the store holds now (no lock, no fetch)."""
        return self._read()

    def get(self, fetch: Fetcher) -> str:
        """A fresh token: the stored one, or a new one fetched by whichever process gets the lock first."""
        state = self._read()
        if state is not None and state.is_fresh(self.clock(), self.margin):
            return state.token
        return self._refresh(fetch, stale_token=None, forced=False)

    def refresh(self, fetch: Fetcher, stale_token: str | None = None, errcode: int | None = None) -> str:
        """A new token after WeChat rejected `stale_token` with `errcode` (stale_token None: in any case, as
        the CLI's --refresh). Stable endpoint: forced only for a 40001 on the stored token (or the CLI)."""
        return self._refresh(fetch, stale_token, forced=True, errcode=errcode)

    def _refresh(self, fetch: Fetcher, stale_token: str | None, forced: bool, errcode: int | None = None) -> str:
        with self._locked() as slot:
            state = slot.state
            now = self.clock()
            if state is not None and state.is_fresh(now, self.margin):
                if not forced:
                    return state.token  # the process that held the lock before us refreshed it
                if stale_token is not None and state.token != stale_token:
                    log.info("access token %s was already replaced by another process; not fetching again",
                             mask_token(stale_token))
                    return state.token
            force = (self.endpoint == STABLE and forced and state is not None
                     and (stale_token is None or (errcode == INVALID_CREDENTIAL and state.token == stale_token
                                                  and state.is_fresh(now, self.margin))))
            if force:
                self._check_forced_allowed(state, now)
            fetched_at = self.clock()
            fetched = fetch(force_refresh=True) if force else fetch()
            _check_fetched(fetched)
            forced_day, forced_count, forced_at = ((state.forced_day, state.forced_count, state.forced_at)
                                                   if state else (0, 0, None))
            if force:
                forced_day, forced_count, forced_at = beijing_day(now), state.forced_today(now) + 1, now
            new = TokenState(fetched.token, fetched_at + fetched.expires_in, fetched_at,
                             (state.version if state else 0) + 1, forced_day, forced_count, forced_at)
            slot.write(new)
        log.info("WeChat access token for %s %s (version %d, valid %ds): %s", self.app_id,
                 f"force-refreshed ({new.forced_count} of {FORCED_PER_DAY} today)" if force else "refreshed",
                 new.version, fetched.expires_in, mask_token(new.token))
        return new.token

    def _check_forced_allowed(self, state: TokenState, now: float) -> None:
        """Refuse, without asking WeChat, a forced refresh it would refuse (45009) or ignore (< 30 s)."""
        used = state.forced_today(now)
        if used >= FORCED_PER_DAY:
            message = (f"stable_token forced refresh refused locally: all {FORCED_PER_DAY} of today's forced "
                       "refreshes are used (WeChat would answer 45009); they start again at 00:00 Beijing time")
        elif state.forced_at is not None and now - state.forced_at < FORCED_MIN_INTERVAL_SECONDS:
            message = (f"stable_token forced refresh refused locally: the last one was {int(now - state.forced_at)} s "
                       f"ago, WeChat ignores one within {int(FORCED_MIN_INTERVAL_SECONDS)} s")
        else:
            return
        log.warning("%s (token %s)", message, mask_token(state.token))
        raise ForcedRefreshRefused(message)

    @abstractmethod
    def _read(self) -> TokenState | None: ...

    @abstractmethod
    def _locked(self) -> AbstractContextManager[LockedSlot]:
        """Hold the refresh lock; the slot shows the store's content as read under the lock."""


def _check_fetched(fetched: FetchedToken) -> None:
    if not isinstance(fetched.token, str) or not 0 < len(fetched.token) <= MAX_TOKEN_LENGTH:
        raise TokenStoreError("WeChat returned no usable access_token")
    if not isinstance(fetched.expires_in, int | float) or fetched.expires_in <= 0:
        raise TokenStoreError(f"WeChat returned an invalid expires_in: {fetched.expires_in!r}")


def _to_db_time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _from_db_time(value: datetime) -> float:
    return value.replace(tzinfo=UTC).timestamp()


class DatabaseTokenStore(AccessTokenStore):
    """The `wechat_access_token` row of this AppID; the row (SQLite: the database) is also the lock.

    Uses its own connections, never the request's session, so a refresh commits on its own.
    """

    kind = "database"

    def __init__(self, engine: Engine, app_id: str, margin_seconds: float = DEFAULT_REFRESH_MARGIN_SECONDS,
                 clock: Callable[[], float] = time.time,
                 lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS, endpoint: str = LEGACY) -> None:
        super().__init__(app_id, margin_seconds, clock, endpoint)
        self.engine = engine
        self.table = AccessToken.__table__
        self.lock_timeout = lock_timeout_seconds

    def _select(self):
        columns = self.table.c
        return select(columns.token, columns.expires_at, columns.updated_at, columns.version, columns.forced_day,
                      columns.forced_count, columns.forced_at).where(columns.app_id == self.app_id)

    def _read(self) -> TokenState | None:
        with self.engine.connect() as conn:
            return _state_from_row(conn.execute(self._select()).first())

    @contextmanager
    def _locked(self) -> Iterator[LockedSlot]:
        with self._write_transaction() as conn:
            self._create_row_if_missing(conn)
            row = conn.execute(self._select().with_for_update()).first()
            yield LockedSlot(_state_from_row(row), lambda state: self._write(conn, state))

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                with conn.begin():
                    if conn.dialect.name == "postgresql":  # never wait forever for a stuck lock holder
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'")
                    yield conn
                return
            # pysqlite would begin a deferred transaction, in which two processes could both read
            # "expired" before either writes. BEGIN IMMEDIATE takes the write lock first (the app's
            # busy_timeout makes the others wait for it).
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                try:
                    conn.exec_driver_sql("ROLLBACK")
                except Exception:  # already rolled back by SQLite; the original error matters
                    log.debug("rollback of the token transaction failed", exc_info=True)
                raise
            conn.exec_driver_sql("COMMIT")

    def _create_row_if_missing(self, conn: Connection) -> None:
        values = {"app_id": self.app_id, "token": None, "expires_at": None, "updated_at": _to_db_time(self.clock()),
                  "version": 0}
        dialect = conn.dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert
            conn.execute(insert_for(self.table).values(**values).on_conflict_do_nothing(index_elements=["app_id"]))
        elif conn.execute(self._select()).first() is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(self.table).values(**values))
            except IntegrityError:
                pass  # another process created it first; the SELECT ... FOR UPDATE below waits for it

    def _write(self, conn: Connection, state: TokenState) -> None:
        conn.execute(update(self.table).where(self.table.c.app_id == self.app_id).values(
            token=state.token, expires_at=_to_db_time(state.expires_at), updated_at=_to_db_time(state.updated_at),
            version=state.version, forced_day=state.forced_day, forced_count=state.forced_count,
            forced_at=_to_db_time(state.forced_at) if state.forced_at is not None else None))


def _state_from_row(row) -> TokenState | None:
    if row is None or not row.token or row.expires_at is None:
        return None
    return TokenState(row.token, _from_db_time(row.expires_at), _from_db_time(row.updated_at), row.version,
                      row.forced_day or 0, row.forced_count or 0,
                      _from_db_time(row.forced_at) if row.forced_at is not None else None)


class RedisTokenStore(AccessTokenStore):
    """A Redis hash per AppID; refreshes take a redis-py Lock (SET NX PX with a random value,
    released by a script that deletes it only if it still holds that value)."""

    kind = "redis"

    def __init__(self, redis_client, app_id: str, margin_seconds: float = DEFAULT_REFRESH_MARGIN_SECONDS,
                 clock: Callable[[], float] = time.time, lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
                 key_prefix: str = "wechat:access_token:", endpoint: str = LEGACY) -> None:
        super().__init__(app_id, margin_seconds, clock, endpoint)
        self.redis = redis_client
        self.key = key_prefix + app_id
        self.lock_name = self.key + ":lock"
        self.lock_timeout = lock_timeout_seconds

    def _read(self) -> TokenState | None:
        return _state_from_mapping(self.redis.hgetall(self.key))

    @contextmanager
    def _locked(self) -> Iterator[LockedSlot]:
        from redis.exceptions import LockError

        lock = self.redis.lock(self.lock_name, timeout=self.lock_timeout, blocking_timeout=self.lock_timeout)
        if not lock.acquire():
            raise TokenStoreError(f"timed out waiting for the access-token refresh lock {self.lock_name}")
        try:
            yield LockedSlot(self._read(), lambda state: self._write(lock, state))
        finally:
            try:
                lock.release()
            except LockError:  # it expired while we held it; someone else may hold it now
                log.warning("the access-token refresh lock %s expired before it was released", self.lock_name)

    def _write(self, lock, state: TokenState) -> None:
        if not lock.owned():
            raise TokenStoreError("the access-token refresh lock expired during the refresh; not storing")
        self.redis.hset(self.key, mapping={"token": state.token, "expires_at": repr(state.expires_at),
                                           "updated_at": repr(state.updated_at), "version": str(state.version),
                                           "forced_day": str(state.forced_day), "forced_count": str(state.forced_count),
                                           "forced_at": repr(state.forced_at) if state.forced_at is not None else ""})


def _state_from_mapping(mapping: Mapping) -> TokenState | None:
    values = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
              for k, v in (mapping or {}).items()}
    try:
        forced_at = values.get("forced_at")
        return TokenState(values["token"], float(values["expires_at"]), float(values["updated_at"]),
                          int(values["version"]), int(values.get("forced_day") or 0),
                          int(values.get("forced_count") or 0), float(forced_at) if forced_at else None)
    except (KeyError, ValueError):
        return None  # nothing stored yet (or unreadable): the next caller refreshes


def build_token_store(config, engine: Engine | None) -> AccessTokenStore:
    """Redis when REDIS_URL is set, otherwise the database behind `engine`."""
    app_id = config["WECHAT_APP_ID"]
    margin = float(config.get("WECHAT_TOKEN_REFRESH_MARGIN_SECONDS", DEFAULT_REFRESH_MARGIN_SECONDS))
    endpoint = config.get("WECHAT_TOKEN_ENDPOINT", STABLE)
    redis_url = config.get("REDIS_URL")
    if redis_url:
        try:
            import redis
        except ImportError:
            raise TokenStoreError("REDIS_URL is set but the redis package is missing: install the 'redis' extra") \
                from None
        client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True)
        return RedisTokenStore(client, app_id, margin, endpoint=endpoint)
    if engine is None:
        raise TokenStoreError("the database token store needs the app's engine")
    return DatabaseTokenStore(engine, app_id, margin, endpoint=endpoint)


_creating = threading.Lock()


def token_store(app: Flask | None = None) -> AccessTokenStore:
    """The app's shared token store (created on first use, one per app and process)."""
    app = app or current_app._get_current_object()
    store = app.extensions.get(EXTENSION_KEY)
    if store is None:
        with _creating:
            store = app.extensions.get(EXTENSION_KEY)
            if store is None:
                with app.app_context():
                    engine = None if app.config.get("REDIS_URL") else db.engine
                store = app.extensions[EXTENSION_KEY] = build_token_store(app.config, engine)
    return store
