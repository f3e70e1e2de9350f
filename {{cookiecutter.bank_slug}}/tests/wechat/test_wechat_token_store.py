"""The shared access-token store on SQLite, PostgreSQL and Redis: refresh ahead of expiry, one fetch
for many concurrent callers, and a forced refresh that does not fetch again when another caller
already replaced the stale token. Time is a fake clock: nothing here waits for a token to expire."""

import itertools
import secrets
import threading
import time

import pytest
from sqlalchemy import create_engine

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.settings import ConfigError, load_config
from {{ cookiecutter.bank_slug }}.wechat.token_store import (
    FORCED_PER_DAY,
    DatabaseTokenStore,
    FetchedToken,
    ForcedRefreshRefused,
    RedisTokenStore,
    TokenStoreError,
    build_token_store,
    mask_token,
    token_store,
)

THREADS = 8


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingFetcher:
    """Stands in for WeChat's /cgi-bin/token: numbered tokens, counted calls."""

    def __init__(self, expires_in: float = 7200, hold: threading.Event | None = None, delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.hold = hold  # when set, each fetch waits for it (keeps the lock held while others queue)
        self.delay = delay  # a slow WeChat: widens the window in which unlocked callers would all fetch
        self.calls = 0
        self.forced: list[bool] = []  # force_refresh of each call (stable_token)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, force_refresh: bool = False) -> FetchedToken:
        with self._lock:
            self.calls += 1
            self.forced.append(force_refresh)
            number = next(self._numbers)
        if self.hold is not None:
            self.hold.wait(10)
        time.sleep(self.delay)
        return FetchedToken(f"TOKEN-{number:04d}-" + "x" * 100, self.expires_in)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "redis"])
def new_store(request):
    """Factory of stores of one kind for one fresh AppID; each call is like another process."""
    app_id = "wx" + secrets.token_hex(8)
    cleanups = []

    if request.param == "sqlite":
        app = request.getfixturevalue("app")
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        if not url.startswith("sqlite"):
            pytest.skip("the test database is not SQLite (TEST_DATABASE_URL)")
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        import redis

        client = redis.Redis.from_url(request.getfixturevalue("redis_url"), decode_responses=True)
        cleanups.append(lambda: client.delete(f"wechat:access_token:{app_id}", f"wechat:access_token:{app_id}:lock"))

    def factory(clock=None, margin=300.0, endpoint="legacy"):
        clock = clock or FakeClock()
        if request.param == "redis":
            return RedisTokenStore(client, app_id, margin, clock, endpoint=endpoint)
        engine = create_engine(url)
        cleanups.append(engine.dispose)
        return DatabaseTokenStore(engine, app_id, margin, clock, endpoint=endpoint)

    yield factory
    for cleanup in cleanups:
        cleanup()


def test_first_use_fetches_once_and_later_calls_reuse_the_stored_token(new_store):
    store, fetch = new_store(), CountingFetcher()
    assert store.current() is None
    first = store.get(fetch)
    assert [store.get(fetch) for _ in range(5)] == [first] * 5
    assert fetch.calls == 1
    state = store.current()
    assert state.token == first and state.version == 1
    assert state.expires_at - state.updated_at == 7200


def test_another_process_sees_the_stored_token(new_store):
    clock = FakeClock()
    token = new_store(clock).get(CountingFetcher())
    other_fetch = CountingFetcher()
    assert new_store(clock).get(other_fetch) == token
    assert other_fetch.calls == 0


def test_refreshes_ahead_of_expiry_by_the_margin(new_store):
    clock = FakeClock()
    store, fetch = new_store(clock, margin=300), CountingFetcher(expires_in=7200)
    first = store.get(fetch)
    clock.now += 7200 - 300 - 1  # 301 s left: still fresh
    assert store.get(fetch) == first and fetch.calls == 1
    clock.now += 2  # 299 s left: inside the margin, so replaced before it can expire in use
    second = store.get(fetch)
    assert second != first and fetch.calls == 2
    assert store.current().version == 2


def test_margin_is_capped_at_half_of_a_short_lifetime(new_store):
    clock = FakeClock()
    store, fetch = new_store(clock, margin=300), CountingFetcher(expires_in=10)
    first = store.get(fetch)
    clock.now += 4.9
    assert store.get(fetch) == first and fetch.calls == 1
    clock.now += 0.2
    assert store.get(fetch) != first and fetch.calls == 2


def test_forced_refresh_replaces_the_stale_token_once(new_store):
    store, fetch = new_store(), CountingFetcher()
    stale = store.get(fetch)
    fresh = store.refresh(fetch, stale_token=stale)
    assert fresh != stale and fetch.calls == 2
    # Another process (or thread) that also got 40001 with the stale token: no second fetch.
    other_fetch = CountingFetcher()
    assert new_store().refresh(other_fetch, stale_token=stale) == fresh
    assert other_fetch.calls == 0
    # But when the current token itself is rejected, it is replaced.
    assert store.refresh(fetch, stale_token=fresh) not in (stale, fresh)
    assert fetch.calls == 3


def test_forced_refresh_without_a_stale_token_always_fetches(new_store):
    store, fetch = new_store(), CountingFetcher()
    first = store.get(fetch)
    assert store.refresh(fetch) != first and fetch.calls == 2


def _run_together(jobs):
    """Run the callables on threads released at the same moment; return their results in order."""
    start = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(i, job):
        start.wait()
        try:
            results[i] = job()
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


def test_concurrent_callers_with_an_expired_token_cause_one_fetch(new_store):
    clock = FakeClock()
    stores = [new_store(clock) for _ in range(THREADS)]  # as many "processes", sharing only the store
    fetch = CountingFetcher(delay=0.2)
    stores[0].get(fetch)
    clock.now += 7200  # expired
    results = _run_together([lambda s=s: s.get(fetch) for s in stores])
    assert fetch.calls == 2  # the first token and ONE replacement
    assert len(set(results)) == 1
    assert stores[0].current().version == 2


def test_concurrent_first_use_creates_the_row_once_and_fetches_once(new_store):
    stores = [new_store() for _ in range(THREADS)]
    fetch = CountingFetcher(delay=0.2)
    results = _run_together([lambda s=s: s.get(fetch) for s in stores])
    assert fetch.calls == 1 and len(set(results)) == 1


def test_concurrent_forced_refreshes_of_one_stale_token_cause_one_fetch(new_store):
    stores = [new_store() for _ in range(THREADS)]
    fetch = CountingFetcher(delay=0.2)
    stale = stores[0].get(fetch)
    results = _run_together([lambda s=s: s.refresh(fetch, stale_token=stale) for s in stores])
    assert fetch.calls == 2
    assert len(set(results)) == 1 and stale not in results


def test_callers_wait_for_the_refresh_in_progress_instead_of_fetching(new_store):
    hold = threading.Event()
    fetch = CountingFetcher(hold=hold)
    stores = [new_store() for _ in range(4)]
    results = [None] * len(stores)

    def call(i):
        results[i] = stores[i].get(fetch)

    first = threading.Thread(target=call, args=(0,))
    first.start()
    while fetch.calls == 0:  # the first caller holds the lock, inside the fetch
        first.join(0.01)
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, len(stores))]
    for thread in others:
        thread.start()
    hold.set()
    for thread in [first, *others]:
        thread.join(30)
    assert fetch.calls == 1 and len(set(results)) == 1 and results[0] is not None


def test_a_failed_fetch_stores_nothing_and_releases_the_lock(new_store):
    store = new_store()

    def failing():
        raise ConnectionError("WeChat unreachable")

    with pytest.raises(ConnectionError):
        store.get(failing)
    assert store.current() is None
    fetch = CountingFetcher()
    assert store.get(fetch) and fetch.calls == 1  # not blocked by a leftover lock


@pytest.mark.parametrize("bad", [FetchedToken("", 7200), FetchedToken("t" * 513, 7200), FetchedToken("tok", 0),
                                 FetchedToken(None, 7200)])
def test_an_unusable_answer_is_refused_and_not_stored(new_store, bad):
    store = new_store()
    with pytest.raises(TokenStoreError):
        store.get(lambda: bad)
    assert store.current() is None


def test_app_store_is_the_database_by_default_and_one_per_app(make_app):
    app = make_app(REDIS_URL="")
    store = token_store(app)
    assert isinstance(store, DatabaseTokenStore) and store.app_id == app.config["WECHAT_APP_ID"]
    assert store.margin == 300
    assert token_store(app) is store
    with app.app_context():
        assert store.engine is db.engine


def test_app_store_is_redis_when_redis_url_is_set(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url, WECHAT_TOKEN_REFRESH_MARGIN_SECONDS="120")
    store = token_store(app)
    assert isinstance(store, RedisTokenStore) and store.margin == 120


CONFIG_BASE = {"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite:///x.db", "WECHAT_APP_ID": "wx1234567890abcdef",
               "WECHAT_TOKEN": "abc123", "WECHAT_ENCODING_AES_KEY": "a" * 43}


def test_config_defaults_to_the_database_and_a_five_minute_margin():
    config = load_config(CONFIG_BASE)
    assert config["REDIS_URL"] == "" and config["WECHAT_TOKEN_REFRESH_MARGIN_SECONDS"] == 300


@pytest.mark.parametrize("name,value", [("REDIS_URL", "http://127.0.0.1:6379"), ("REDIS_URL", "127.0.0.1:6379"),
                                        ("WECHAT_TOKEN_REFRESH_MARGIN_SECONDS", "soon"),
                                        ("WECHAT_TOKEN_REFRESH_MARGIN_SECONDS", "-1")])
def test_config_refuses_a_bad_token_store_setting(name, value):
    with pytest.raises(ConfigError, match=name):
        load_config({**CONFIG_BASE, name: value})


def test_redis_url_without_the_package_is_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_redis(name, *args, **kwargs):
        if name == "redis":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_redis)
    with pytest.raises(TokenStoreError, match="redis"):
        build_token_store({"WECHAT_APP_ID": "wx1", "REDIS_URL": "redis://127.0.0.1:6379/0"}, None)


def test_mask_token_never_shows_a_usable_token():
    token = "ABCD" + "s" * 120 + "WXYZ"
    assert mask_token(token) == "ABCD...WXYZ (128 chars)"
    assert mask_token("short") == "****"
    assert mask_token(None) == "(none)"


# --- the stable_token endpoint: when a refresh is forced, and the guard of 20 a day, 30 s apart ------------

def test_stable_refresh_after_40001_on_the_stored_token_is_forced_and_counted(new_store):
    clock = FakeClock()
    store, fetch = new_store(clock, endpoint="stable"), CountingFetcher()
    token = store.get(fetch)
    fresh = store.refresh(fetch, stale_token=token, errcode=40001)
    assert fresh != token and fetch.forced == [False, True]
    state = new_store(clock, endpoint="stable").current()  # another process sees the count
    assert state.forced_today(clock()) == 1 and state.forced_at == clock()


@pytest.mark.parametrize("errcode", [40014, 42001])
def test_other_token_errcodes_refresh_in_normal_mode(new_store, errcode):
    store, fetch = new_store(endpoint="stable"), CountingFetcher()
    token = store.get(fetch)
    store.refresh(fetch, stale_token=token, errcode=errcode)
    assert fetch.forced == [False, False]
    assert store.current().forced_count == 0


def test_a_40001_for_a_token_already_replaced_is_not_forced(new_store):
    store, fetch = new_store(endpoint="stable"), CountingFetcher()
    stale = store.get(fetch)
    fresh = store.refresh(fetch, stale_token=stale, errcode=40001)
    assert new_store(endpoint="stable").refresh(fetch, stale_token=stale, errcode=40001) == fresh
    assert fetch.forced == [False, True]


def test_a_second_forced_refresh_within_30_s_is_refused_without_asking_wechat(new_store, caplog):
    clock = FakeClock()
    store, fetch = new_store(clock, endpoint="stable"), CountingFetcher()
    token = store.refresh(fetch, stale_token=store.get(fetch), errcode=40001)
    clock.now += 29
    with pytest.raises(ForcedRefreshRefused, match="within 30 s"):
        store.refresh(fetch, stale_token=token, errcode=40001)
    assert fetch.calls == 2 and "refused locally" in caplog.text
    clock.now += 1
    assert store.refresh(fetch, stale_token=token, errcode=40001) != token


def test_the_21st_forced_refresh_of_a_beijing_day_is_refused_then_allowed_after_midnight(new_store):
    clock = FakeClock(1_800_000_000.0 - (1_800_000_000 + 8 * 3600) % 86400 + 3600)  # 01:00 Beijing time
    store, fetch = new_store(clock, endpoint="stable"), CountingFetcher()
    store.get(fetch)
    for _ in range(FORCED_PER_DAY):
        store.refresh(fetch)  # the CLI's --refresh: forced whatever is stored
        clock.now += 31
    with pytest.raises(ForcedRefreshRefused, match="45009"):
        store.refresh(fetch)
    assert fetch.calls == 1 + FORCED_PER_DAY
    clock.now += 23 * 3600  # the next Beijing day
    store.refresh(fetch)
    assert store.current().forced_today(clock()) == 1


def test_legacy_refreshes_are_never_forced_nor_limited(new_store):
    store, fetch = new_store(endpoint="legacy"), CountingFetcher()
    for _ in range(FORCED_PER_DAY + 2):
        store.refresh(fetch)
    assert fetch.forced == [False] * (FORCED_PER_DAY + 2)


def test_the_token_endpoint_setting(make_app):
    assert token_store(make_app()).endpoint == "stable"
    assert token_store(make_app(WECHAT_TOKEN_ENDPOINT="legacy")).endpoint == "legacy"
    with pytest.raises(ConfigError, match="WECHAT_TOKEN_ENDPOINT"):
        make_app(WECHAT_TOKEN_ENDPOINT="v3")
