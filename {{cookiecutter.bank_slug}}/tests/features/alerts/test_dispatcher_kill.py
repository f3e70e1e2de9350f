"""At-least-once under SIGKILL: a dispatcher process killed again and again during a run of 5,000
alerts, restarted each time. Every alert ends delivered, the mock's record shows each one, and the
only duplicates are alerts that were in flight (claimed, not yet recorded) when a dispatcher died."""

import ctypes
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import DELIVERED, SENDING, SOURCE_CORE, Alert
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...conftest import make_config
from ...live_sandbox import live_sandbox
from .conftest import set_faults
from .support import bind

pytestmark = pytest.mark.heavy

PACKAGE = "{{ cookiecutter.bank_slug }}"
PROJECT = Path(__file__).resolve().parents[3]
ALERTS = 5000
USERS = 50
KILLS = 5
PR_SET_PDEATHSIG = 1


def states(app) -> Counter:
    with app.app_context():
        return Counter(dict(db.session.execute(select(Alert.state, func.count()).group_by(Alert.state)).all()))


def _die_with_parent() -> None:
    """Linux: the dispatcher gets SIGKILL if the test process dies (a timed-out run leaves no orphan)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def start(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", PACKAGE, "alerts", "run"], cwd=PROJECT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)


def _kill_repeatedly(app, env, rng, in_flight: Counter) -> int:
    """Start a dispatcher, SIGKILL it after a random amount of progress, KILLS times; returns the kills."""
    kills = 0
    while kills < KILLS:
        process = start(env)
        try:
            # Kill mid-run, after a random amount of progress (not a fixed time: start-up speed varies).
            target = min(ALERTS, states(app)[DELIVERED] + rng.randint(200, 600))
            deadline = time.monotonic() + 120
            while states(app)[DELIVERED] < target and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.05)
            if process.poll() is not None:
                raise AssertionError(f"dispatcher exited early: {process.stderr.read()[-2000:]}")
        finally:
            process.kill()
            process.wait()
        kills += 1
        with app.app_context():
            in_flight.update(db.session.scalars(select(Alert.id).where(Alert.state == SENDING)))
        if states(app)[DELIVERED] == ALERTS:
            break
    return kills


def test_killed_dispatchers_lose_nothing_and_duplicate_only_in_flight_alerts(_migrated, make_app):
    settings = {"ALERT_LEASE_SECONDS": 2, "ALERT_CONCURRENT_SENDS": 16, "ALERT_BATCH_SIZE": 100,
                "ALERT_POLL_SECONDS": 0.1, "ALERT_SEND_TIMEOUT_SECONDS": 2, "ALERT_RETRY_BASE_SECONDS": 0.05,
                "ALERT_RETRY_MAX_SECONDS": 0.2, "LOG_LEVEL": "WARNING", "ALERT_MIN_AMOUNT_YUAN": "0"}
    config = make_config(_migrated, **settings)
    app = make_app(**config)
    rng = random.Random(5)
    with live_sandbox(app) as live:
        set_faults(live, latency_ms=5)  # sends take a moment, so batches are in flight when a kill comes
        for n in range(USERS):
            openid = f"oKillTest{n:019d}"
            live.state.add_user(openid, subscribed=True)
            bind(app, openid, f"KILL-{n:03d}", card_mask=f"6228 **** **** {n:04d}")
        now = utcnow()
        with app.app_context():
            db.session.execute(insert(Alert), [{
                "source": SOURCE_CORE, "source_txn_id": f"K{n:05d}", "request_hash": "", "account_id":
                f"KILL-{n % USERS:03d}", "kind": "purchase", "amount_fen": -(n + 1), "balance_after_fen": 10**6,
                "occurred_at": now, "counterparty": "", "memo": "", "state": "pending", "attempts": 0,
                "next_attempt_at": now, "created_at": now} for n in range(ALERTS)])
            db.session.commit()
        env = dict(os.environ, **{k: str(v) for k, v in config.items()}, PYTHONPATH=str(PROJECT),
                   WECHAT_SANDBOX_API_URL=live.mock_url, PUBLIC_BASE_URL=live.service_url)
        in_flight: Counter = Counter()  # alert id -> how many dispatchers died while it was in flight
        kills = 0
        process = None
        try:
            kills = _kill_repeatedly(app, env, rng, in_flight)
            process = start(env)
            deadline = time.monotonic() + 240
            while states(app)[DELIVERED] < ALERTS and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process is not None and process.poll() is None:
                process.kill()
        final = states(app)
        assert final == Counter({DELIVERED: ALERTS}), (final, stderr[-2000:])
        assert process.returncode == 0, stderr[-2000:]  # SIGTERM: the last dispatcher stopped cleanly
        sent = Counter(int(record.payload["url"].rsplit("/", 1)[1]) for record in live.state.records_since(
            kind="template"))
        with app.app_context():
            ids = set(db.session.scalars(select(Alert.id)))
        assert set(sent) == ids  # none lost
        duplicated = {alert_id: count - 1 for alert_id, count in sent.items() if count > 1}
        assert kills == KILLS and in_flight
        # Sent more than once only if in flight when a dispatcher died, at most once more per such death.
        assert all(extra <= in_flight[alert_id] for alert_id, extra in duplicated.items()), duplicated
