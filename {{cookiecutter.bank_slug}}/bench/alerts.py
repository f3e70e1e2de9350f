"""Benchmark: transaction alerts delivered per second to the mock WeChat API with 50 ms latency per
call, and the mock's own capacity measured in the same run as the ceiling.

    python bench/alerts.py [--alerts 20000] [--concurrency 256] [--latency-ms 50] [--users 200]
                           [--mock-server async|threads] [--postgres-url URL] [--no-postgres] [--no-sqlite]

For each database (a scratch PostgreSQL database, then a SQLite file): migrate, bind --users
followers' accounts, and start the mock WeChat API in its own process with --latency-ms on every
call: `async` (default) serves it from bench/mock_server.py, where the latency is awaited on an
asyncio server; `threads` from gunicorn with a thread per waiting call (bench/mock_wsgi.py). Either
way every call runs through the mock's own code: token check, template validation, the record.
1. Ceiling: --concurrency keep-alive calls at once (aiohttp, the dispatcher's HTTP client) to
   template/send for a few seconds, with bodies of the alerts' shape (url, the five values, a
   client_msg_id of their own), so the mock does for each what it does for an alert; what it
   answers per second is the most any sender could get from it here. Measured before and after
   the delivery (against the load drifting), the ceiling is their average; the load client's CPU
   per call is printed (the floor of the dispatcher's send loop).
2. Dispatcher: --alerts pending alerts in the outbox; one dispatcher (`Dispatcher.drain`, the code
   behind `flask alerts run`, in an app context as the command has) with --concurrency sends in
   flight delivers them to the same mock process; alerts/s from the first claim to the last
   recorded outcome, its ratio to the ceiling, and the dispatcher's own CPU time per alert (the
   database's and the mock's CPU are not in it), from which its capacity on cores of its own
   follows. The run checks that every alert ended delivered and that the mock counted one template
   message per alert.
Everything runs on this one machine: the mock, the load and the database share its cores; the load
average is printed with each run. bench/profile_alerts.py splits the dispatcher's CPU by thread.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import requests
from flask_migrate import upgrade
from scratch import add_database_options, bench_config, databases, free_port  # bench/ is on sys.path
from sqlalchemy import func, insert, select

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.extensions import db  # noqa: E402
from {{ cookiecutter.bank_slug }}.features.alerts.models import DELIVERED, SOURCE_CORE, Alert  # noqa: E402
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding  # noqa: E402
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher  # noqa: E402
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow  # noqa: E402
from {{ cookiecutter.bank_slug }}.sms import MOCK_TOKEN_HEADER, mock_control_token  # noqa: E402

CEILING_SECONDS = 5.0


def _config(database_url: str, mock_url: str, concurrency: int) -> dict:
    return bench_config(
        database_url, WECHAT_SANDBOX_API_URL=mock_url, PUBLIC_BASE_URL="http://127.0.0.1:5000",
        ALERT_CONCURRENT_SENDS=str(concurrency), ALERT_BATCH_SIZE=str(max(100, concurrency)),
        ALERT_SEND_TIMEOUT_SECONDS="10")


def _start_mock(config: dict, port: int, server: str, concurrency: int) -> subprocess.Popen:
    env = dict(os.environ, **config)
    if server == "async":
        command = [sys.executable, str(PROJECT / "bench" / "mock_server.py"), "--port", str(port)]
    else:  # one worker process (the mock's state is in memory), a thread per call in flight
        command = [sys.executable, "-m", "gunicorn", "--chdir", str(PROJECT / "bench"), "--workers", "1",
                   "--worker-class", "gthread", "--threads", str(concurrency * 2), "--backlog", "2048",
                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "mock_wsgi:app"]
    process = subprocess.Popen(command, env=env, cwd=PROJECT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/_mock/stats", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the mock did not start")


_CONTROL_HEADERS: dict[str, str] = {}  # the run's X-Mock-Token (sandbox/mock_api/guard.py), set by run()


def _mock(mock_url: str, method: str, path: str, **kwargs):
    response = requests.request(method, f"{mock_url}{path}", timeout=10, headers=_CONTROL_HEADERS, **kwargs)
    response.raise_for_status()
    return response.json()


def _ceiling(mock_url: str, config: dict, openids: list[str], concurrency: int, label: str = "c") -> float:
    """Template messages per second the mock answers to --concurrency keep-alive calls at once.

    Each call's body has the dispatcher's shape (touser, template_id, url, the five values, a client_msg_id
    of its own), so the mock does for it what it does for an alert: validate the values, check the
    client_msg_id, record the message. Bodies are put together from bytes, not serialized per call."""
    token = requests.get(f"{mock_url}/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": config["WECHAT_APP_ID"], "secret": config["WECHAT_APP_SECRET"]},
        timeout=10).json()["access_token"]
    data = {"thing1": "消费", "amount2": "¥1.00", "time3": "2026年11月23日 09:30", "character_string4": "0018",
            "amount5": "¥100.00"}
    url = f"{mock_url}/cgi-bin/message/template/send?access_token={token}"
    done = Counter()

    async def calls() -> float:
        # The dispatcher's HTTP client (aiohttp, keep-alive), so this measures the mock, not the client.
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
            stop = time.monotonic() + CEILING_SECONDS

            async def caller(n: int) -> None:
                head = json.dumps({"touser": openids[n % len(openids)],
                                   "template_id": config["ALERT_TEMPLATE_ID_FOR_BENCH"],
                                   "url": f"{config['PUBLIC_BASE_URL']}/h5/alerts/{1_000_000 + n}",
                                   "data": {k: {"value": v} for k, v in data.items()},
                                   "client_msg_id": ""}, ensure_ascii=False).encode()[:-2]
                prefix, sent = f"ceiling-{label}-{n}-".encode(), 0
                while time.monotonic() < stop:
                    sent += 1
                    body = b"".join((head, prefix, str(sent).encode(), b'"}'))
                    async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as answer:
                        done[json.loads(await answer.read()).get("errcode") == 0] += 1

            started = time.monotonic()
            await asyncio.gather(*(caller(n) for n in range(concurrency)))
            return time.monotonic() - started

    elapsed = asyncio.run(calls())
    if done[False]:
        raise SystemExit(f"the mock refused {done[False]} calls during the ceiling run")
    return done[True] / elapsed


@contextmanager
def bench_setup(database_url: str, args: argparse.Namespace):
    """A migrated database, the mock WeChat API in its own process (its users, the latency set) and the app:
    yields (app, mock_url, config, openids); stops the mock at the end."""
    port = free_port()
    mock_url = f"http://127.0.0.1:{port}"
    config = _config(database_url, mock_url, args.concurrency)
    _CONTROL_HEADERS[MOCK_TOKEN_HEADER] = mock_control_token(config["SECRET_KEY"])
    app = create_app(dict(config))
    with app.app_context():
        upgrade()
    config["ALERT_TEMPLATE_ID_FOR_BENCH"] = app.config["ALERT_TEMPLATE_ID"]
    mock = _start_mock({k: v for k, v in config.items() if k != "ALERT_TEMPLATE_ID_FOR_BENCH"}, port,
                       args.mock_server, args.concurrency)
    try:
        openids = [f"oBench{n:022d}" for n in range(args.users)]
        for openid in openids:
            _mock(mock_url, "POST", "/_mock/users", json={"openid": openid, "subscribed": True})
        _mock(mock_url, "PUT", "/_mock/faults", json={"latency_ms": args.latency_ms})
        yield app, mock_url, config, openids
    finally:
        mock.terminate()
        mock.wait(30)
        with app.app_context():
            db.engine.dispose()


def bind(app, openids: list[str]) -> None:
    """Bind each openid to an account of its own (BENCH-0000 ...)."""
    now = utcnow()
    with app.app_context():
        db.session.execute(insert(CardBinding), [{
            "openid": openid, "account_id": f"BENCH-{n:04d}", "card_mask": f"6228 **** **** {n:04d}",
            "status": "active", "alerts_suspended": False, "bound_at": now} for n, openid in enumerate(openids)])
        db.session.commit()


def fill_outbox(app, users: int, alerts: int, first: int = 0) -> None:
    """Write `alerts` pending alerts (source ids from `first` on) spread over the `users` bound accounts."""
    now = utcnow()
    with app.app_context():
        db.session.execute(insert(Alert), [{
            "source": SOURCE_CORE, "source_txn_id": f"B{n:07d}", "request_hash": "",
            "account_id": f"BENCH-{n % users:04d}", "kind": "purchase", "amount_fen": -(n % 50_000 + 1),
            "balance_after_fen": 10**7, "occurred_at": now, "counterparty": "", "memo": "", "state": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": now} for n in range(first, first + alerts)])
        db.session.commit()


def run(database_url: str, args: argparse.Namespace) -> None:
    with bench_setup(database_url, args) as (app, mock_url, config, openids):
        cpu_before = time.process_time()
        ceiling_before = _ceiling(mock_url, config, openids, args.concurrency, "before")
        client_cpu = (time.process_time() - cpu_before) / max(1.0, ceiling_before * CEILING_SECONDS)
        calls_before = _mock(mock_url, "GET", "/_mock/stats")["api_calls"]
        bind(app, openids)
        fill_outbox(app, len(openids), args.alerts)
        with app.app_context():  # as `flask alerts run` does (with_appcontext): the messages' translations
            dispatcher = Dispatcher(app, concurrency=args.concurrency)
            started, cpu_started = time.monotonic(), time.process_time()
            counts = dispatcher.drain(wait_seconds=5)
            elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
            dispatcher.close()
        calls = _mock(mock_url, "GET", "/_mock/stats")["api_calls"] - calls_before
        ceiling_after = _ceiling(mock_url, config, openids, args.concurrency, "after")
        ceiling = (ceiling_before + ceiling_after) / 2
        with app.app_context():
            states = dict(db.session.execute(select(Alert.state, func.count()).group_by(Alert.state)).all())
        rate = counts[DELIVERED] / elapsed
        print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: mock latency {args.latency_ms} ms "
              f"({args.mock_server} mock server), {args.concurrency} sends in flight, load {_load()}")
        print(f"  mock ceiling   {ceiling:8.0f} template messages/s ({args.concurrency} direct keep-alive calls; "
              f"{ceiling_before:.0f} before the dispatcher, {ceiling_after:.0f} after)")
        print(f"  dispatcher     {rate:8.0f} alerts/s delivered ({counts[DELIVERED]} in {elapsed:.1f} s, "
              f"{calls} mock calls incl. the token)")
        print(f"  ratio          {rate / ceiling:8.2f} of the mock's ceiling (goal >= 0.85)")
        per_alert_ms = cpu / max(1, counts[DELIVERED]) * 1000
        print(f"  dispatcher CPU {per_alert_ms:8.2f} ms per alert (this process, both threads): about "
              f"{1000 / per_alert_ms:.0f} alerts/s per core when WeChat does not share the machine; the ceiling's "
              f"own client {client_cpu * 1000:.2f} ms per call")
        print(f"  outcome        {states}")
        if states != {DELIVERED: args.alerts}:
            raise SystemExit("not every alert was delivered")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--mock-server", choices=("async", "threads"), default="async")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--users", type=int, default=200)
    add_database_options(parser)
    args = parser.parse_args()
    for database_url in databases(args):
        run(database_url, args)


if __name__ == "__main__":
    main()
