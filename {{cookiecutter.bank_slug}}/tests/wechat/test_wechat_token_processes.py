"""THE proof that all processes share one access token: several OS processes, several threads each,
call the mock WeChat API on a real loopback port while its tokens live one second (so they expire
several times during the run) and one token is fetched behind their back (invalidating theirs).

Every call must succeed (no 40001/42001 reaches a caller), and the mock must have issued about as
many tokens as there were expiries and invalidations, not that many times the number of processes.
"""

import json
import math
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine
from werkzeug.serving import WSGIRequestHandler, make_server

from {{ cookiecutter.bank_slug }}.sandbox.mock_api import create_mock_app
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.settings import MockSettings
from {{ cookiecutter.bank_slug }}.settings import database_url
from {{ cookiecutter.bank_slug }}.wechat.token_store import build_token_store

from ..conftest import make_config

pytestmark = pytest.mark.heavy

PROJECT = Path(__file__).resolve().parents[2]
PROCESSES, THREADS, CALLS_PER_THREAD, PAUSE_SECONDS = 4, 4, 30, 0.05  # calls span >= 1.5 s: >= 2 lifetimes
TOKEN_TTL_SECONDS, REFRESH_MARGIN_SECONDS = 1, 0.4
OPENID = "o" + "LoadTest" * 3 + "abc"  # 28 characters, like a real openid


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # a thousand lines of access log help nobody
        pass


@pytest.fixture
def live_mock():
    """The mock WeChat API on a free loopback port, tokens living TOKEN_TTL_SECONDS."""
    settings = MockSettings(app_id="wx" + secrets.token_hex(8), app_secret=secrets.token_hex(16),
                            token_ttl_seconds=TOKEN_TTL_SECONDS)
    app = create_mock_app(settings)
    state = app.extensions["mock_wechat"]
    state.add_user(OPENID, "压测", subscribed=True)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield settings, state, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite", "redis"])
def shared_store_config(request):
    """Settings for the workers: where the shared token lives."""
    if request.param == "postgresql":
        return {"DATABASE_URL": request.getfixturevalue("postgres_url")}
    if request.param == "redis":
        return {"DATABASE_URL": request.getfixturevalue("_migrated"), "REDIS_URL": request.getfixturevalue("redis_url")}
    url = request.getfixturevalue("_migrated")
    if not url.startswith("sqlite"):
        pytest.skip("the test database is not SQLite (TEST_DATABASE_URL); PostgreSQL is covered above")
    return {"DATABASE_URL": url}


def _stats(base: str) -> dict:
    return requests.get(base + "/_mock/stats", timeout=5).json()


def _issued(stats: dict) -> int:
    """Tokens the mock issued on either endpoint (the service uses /cgi-bin/stable_token by default)."""
    return stats["tokens_issued"] + stats.get("stable_tokens_issued", 0)


def _invalidate_when_busy(base: str, settings: MockSettings, workers, total_calls: int) -> None:
    """Once a third of the calls are done and the workers have just refreshed (so their fresh token has a
    whole TTL - margin of use ahead), fetch a token behind their back: they must meet the 40001."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(w.poll() is None for w in workers):
        if _stats(base)["api_calls"] >= total_calls // 3:
            break
        time.sleep(0.05)
    issued = _issued(_stats(base))
    settle = time.monotonic() + 5
    while time.monotonic() < settle and _issued(_stats(base)) == issued:
        time.sleep(0.01)
    # a forced refresh by someone else (another tool with the AppSecret): the workers' token stops working
    answer = requests.post(base + "/cgi-bin/stable_token", timeout=5, json={
        "grant_type": "client_credential", "appid": settings.app_id, "secret": settings.app_secret,
        "force_refresh": True}).json()
    assert "access_token" in answer, answer


def test_processes_share_one_token_through_expiries_and_an_invalidation(live_mock, shared_store_config):
    settings, mock_state, base = live_mock
    config = make_config(shared_store_config.pop("DATABASE_URL"), WECHAT_APP_ID=settings.app_id,
                         WECHAT_APP_SECRET=settings.app_secret, WECHAT_SANDBOX="1", WECHAT_SANDBOX_API_URL=base,
                         WECHAT_TOKEN_REFRESH_MARGIN_SECONDS=str(REFRESH_MARGIN_SECONDS), LOG_LEVEL="INFO",
                         **shared_store_config)
    spec = json.dumps({"config": config, "threads": THREADS, "calls": CALLS_PER_THREAD, "pause": PAUSE_SECONDS,
                       "openid": OPENID})
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    total_calls = PROCESSES * THREADS * CALLS_PER_THREAD

    workers = [subprocess.Popen([sys.executable, "-m", "tests.token_load_worker", spec], cwd=PROJECT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(PROCESSES)]
    try:
        _invalidate_when_busy(base, settings, workers, total_calls)
        outputs = [w.communicate(timeout=120) for w in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    outcomes: dict[str, int] = {}
    for report in reports:
        for outcome, count in report["outcomes"].items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    calling = max(r["last"] for r in reports) - min(r["first"] for r in reports)  # while any call was made
    logs = "".join(err for _, err in outputs)

    # Every call succeeded: no 40001/42001 (nor anything else) reached a caller.
    assert outcomes == {"ok": total_calls}, outcomes

    stats = _stats(base)
    issued_to_service = _issued(stats) - 1  # one was fetched behind the workers' back
    engine = None if config.get("REDIS_URL") else create_engine(database_url(config))
    stored = build_token_store(config, engine).current()
    if engine is not None:
        engine.dispose()
    # Every fetch the service made went through the store's refresh (one per version); with stable_token a
    # normal-mode fetch may get the still-valid token back, so the mock issued at most that many new ones...
    refreshes = stored.version
    assert logs.count("access token for") == refreshes  # "WeChat access token for <app> refreshed"
    assert issued_to_service <= refreshes
    # ...the invalidation was met and answered by the forced refresh...
    assert "WeChat rejected access token" in logs
    # ...and tokens expired during the run (besides the first token and the invalidation's)...
    assert issued_to_service >= 3
    # ...yet each expiry or invalidation cost one fetch, not one per process: at most one refresh per
    # (TTL - margin) while calls were made, plus the first token, the invalidation's and one of slack.
    expiries_at_most = math.ceil(calling / (TOKEN_TTL_SECONDS - REFRESH_MARGIN_SECONDS))
    assert refreshes <= expiries_at_most + 3, (refreshes, expiries_at_most)
    # Neither the AppSecret nor a token appears in the logs (tokens only masked).
    secrets = (settings.app_secret, stored.token, mock_state.access_token)  # the legacy token: None if never asked for
    assert all(secret not in logs for secret in secrets if secret)
    print(f"\n{shared_store_config or 'database'}: {total_calls} calls in {calling:.1f}s by {PROCESSES} processes x "
          f"{THREADS} threads; tokens issued {_issued(stats)} (service {issued_to_service}, refreshes {refreshes}, "
          f"expiry bound {expiries_at_most}); 40001/42001 met and refreshed: {logs.count('WeChat rejected')}, "
          f"already refreshed by another: {logs.count('already replaced')}")

