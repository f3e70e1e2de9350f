"""Benchmark: the encrypted /wechat endpoint (safe mode) against a bare Flask app, with wrk, in one run.

    python bench/wechat_wrk.py [--database sqlite|postgres|both] [--pushes 20000] [--connections 32]
                               [--workers 2] [--threads 8] [--postgres-url URL] [--redis-url URL]

For each database: a fresh migrated database (SQLite in a temp folder; PostgreSQL: a scratch database on the
server --postgres-url names, dropped afterwards, or with --postgres-database an existing one whose tables are
dropped and re-created) and, with PostgreSQL, REDIS_URL set (--redis-url, flushed first: that is the
"PostgreSQL + Redis" configuration). --pushes distinct text messages "帮助" (distinct MsgId, 500 openids) are
signed and AES-encrypted before the clock starts, each with its own timestamp/nonce/signature/msg_signature,
into a data file bench/pushes.lua replays (every push once). The same pushes then go, with the same wrk
settings, to the baked service and to bench/bare_app.py (a Flask app that answers "success"), both under
gunicorn with deploy/gunicorn.conf.py and the same --workers/--threads; each gets a short warm-up of its own.
Prints req/s, p50/p99, errors (non-200, a body without <Encrypt> / "success", socket errors) for each, the
ratio, the load average (`uptime`) before each run, the slowest answer (WeChat gives 5 s), each worker's
RSS after the run, and checks that every push was processed exactly once. The burst goal (20,000 pushes
from 256 connections as fast as wrk sends them): `--pushes 20000 --connections 256 --service-only`. The cost as
the work grows: `--prefill-dedup 10000000 --prefill-alerts 3000000` fills the de-dup store (the table, or Redis
with REDIS_URL) and the alert table before the run; compare with a run without them.
The timestamp window (WECHAT_TIMESTAMP_WINDOW_SECONDS, 300 s by default) must cover the whole run.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from flask_migrate import upgrade
from scratch import DEFAULT_POSTGRES_SERVER, bench_config, free_port, scratch_postgres  # bench/ is on sys.path
from sqlalchemy import create_engine, func, select, text

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path.insert(0, str(PROJECT))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message  # noqa: E402
from {{ cookiecutter.bank_slug }}.wechat.models import InboundMessage  # noqa: E402

SERVICE_APP = "{{ cookiecutter.bank_slug }}.wsgi:app"
TIMEOUT = 10  # seconds: wrk's --timeout
RESULT = re.compile(r"RESULT (.*)")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def pick_port(ports: str) -> int:
    """A free port in `ports` ("7500-7599"), or any free one when empty."""
    if not ports:
        return free_port()
    low, high = (int(p) for p in ports.split("-"))
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def worker_rss(master: int) -> list[float]:
    """The resident set (MB) of each gunicorn worker of `master`."""
    sizes = []
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def cpu_seconds(master: int) -> float:
    """The CPU time (user + system, seconds) the gunicorn workers of `master` have used so far."""
    total = system = 0.0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
    _SYSTEM[master] = system
    return total


_SYSTEM: dict[int, float] = {}


# The "cost as the work grows" goal: the de-dup store and the alerts as a busy bank's are. Keys look like the
# service's (msg: + 64 hex digits), spread over the index as real ones are; alerts as bench/metrics.py fills them.
_SERIES = {
    "sqlite": "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) ",
    "postgresql": "",
}
_PREFILL_DEDUP = {
    "sqlite": "INSERT INTO wechat_inbound_message (dedup_key, openid, msg_type, status, received_at) "
              "SELECT 'msg:' || lower(hex(randomblob(32))), 'o-prefill-' || (n % 100000), 'text', 'replied', "
              "datetime('now', '-' || (n % 86400) || ' seconds') FROM g",
    "postgresql": "INSERT INTO wechat_inbound_message (dedup_key, openid, msg_type, status, received_at) "
                  "SELECT 'msg:' || md5(n::text) || md5((n + 1)::text), 'o-prefill-' || (n % 100000), 'text', "
                  "'replied', now() AT TIME ZONE 'utc' - make_interval(secs => n % 86400) "
                  "FROM generate_series(1, :count) AS n",
}
_PREFILL_ALERTS = {
    "sqlite": "INSERT INTO alert (source, source_txn_id, request_hash, account_id, kind, amount_fen, "
              "balance_after_fen, occurred_at, counterparty, memo, state, attempts, next_attempt_at, created_at, "
              "finished_at) SELECT 'core', 'B' || n, '', 'ACC' || (n % 5000), 'purchase', -100, 1000, "
              "datetime('now', '-' || n || ' seconds'), '', '', 'delivered', 1, datetime('now'), "
              "datetime('now', '-' || n || ' seconds'), datetime('now', '-' || n || ' seconds') FROM g",
    "postgresql": "INSERT INTO alert (source, source_txn_id, request_hash, account_id, kind, amount_fen, "
                  "balance_after_fen, occurred_at, counterparty, memo, state, attempts, next_attempt_at, created_at, "
                  "finished_at) SELECT 'core', 'B' || n, '', 'ACC' || (n % 5000), 'purchase', -100, 1000, "
                  "utc - make_interval(secs => n), '', '', 'delivered', 1, utc, utc - make_interval(secs => n), "
                  "utc - make_interval(secs => n) FROM generate_series(1, :count) AS n, "
                  "(SELECT now() AT TIME ZONE 'utc' AS utc) AS t",
}


def prefill(database_url: str, redis_url: str, dedup: int, alerts: int) -> None:
    """Fill the de-dup store (Redis when configured, else the table) with `dedup` records and the alert table
    with `alerts` delivered alerts, before the clock starts."""
    started = time.monotonic()
    engine = create_engine(database_url)
    dialect = engine.dialect.name
    with engine.begin() as connection:
        if dedup and not redis_url:
            connection.execute(text(_SERIES[dialect] + _PREFILL_DEDUP[dialect]), {"count": dedup})
        if alerts:
            connection.execute(text(_SERIES[dialect] + _PREFILL_ALERTS[dialect]), {"count": alerts})
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    if dedup and redis_url:
        import redis

        client, value = redis.Redis.from_url(redis_url), "replied:" + "x" * 92  # 100 bytes, an hour to live
        for first in range(0, dedup, 10000):
            pipe = client.pipeline(transaction=False)
            for n in range(first, min(dedup, first + 10000)):
                pipe.execute_command("SET", f"wechat:inbound:prefill:msg:{n:064x}", value, "EX", 3600)
            pipe.execute()
    print(f"  prefilled {dedup:,} de-dup records ({'Redis' if redis_url else 'table'}) and {alerts:,} alerts in "
          f"{time.monotonic() - started:.0f} s")


def write_pushes(pusher: WeChatPusher, path: Path, count: int, first_id: int, openids: int = 500) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            signed = pusher.sign(text_message(f"o-bench-{i % openids}", "帮助", first_id + i))
            assert "\n" not in signed.body and "\t" not in signed.body
            out.write(f"/wechat?{urlencode(signed.query)}\t{signed.body}\n")


@contextmanager
def gunicorn(app_path: str, env: dict, args: argparse.Namespace, cwd: Path):
    port = pick_port(args.ports)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(PROJECT / "deploy/gunicorn.conf.py"),
         "--workers", str(args.workers), "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--error-logfile", "-", app_path],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if not args.verbose else None)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{app_path} did not start")
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def wrk(base: str, data: Path, expect: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PUSHES=str(data), EXPECT=expect, WRK_THREADS=str(args.wrk_threads))
    markers = [Path(f"{data}.done.{i}") for i in range(args.wrk_threads)]
    sent = [Path(f"{data}.sent.{i}") for i in range(args.wrk_threads)]
    for marker in markers + sent:
        marker.unlink(missing_ok=True)
    client = subprocess.Popen(
        ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{args.max_seconds}s",
         "--timeout", f"{TIMEOUT}s", "--latency", "-s", str(BENCH / "pushes.lua"), base + "/wechat"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    all_sent_at = None
    while client.poll() is None and not all(marker.exists() for marker in markers):
        time.sleep(0.005)
        if all_sent_at is None and all(marker.exists() for marker in sent):
            all_sent_at = time.monotonic()
        if all_sent_at and time.monotonic() - all_sent_at > TIMEOUT + 1:
            break  # a push lost to a socket error or wrk's timeout: it never gets a response
    if client.poll() is None:
        client.send_signal(signal.SIGINT)  # wrk stops and prints its summary
    stdout, stderr = client.communicate(timeout=60)
    found = RESULT.search(stdout)
    if not found:
        raise RuntimeError(stdout + stderr)
    result = {k: int(v) for k, v in (item.split("=") for item in found.group(1).split())}
    result["pushes"] = result["answered"]
    result["rate"] = result["pushes"] / (result["duration_us"] / 1e6)
    result["errors"] = (result["bad"] + result["connect_err"] + result["read_err"] + result["write_err"]
                        + result["timeout_err"])
    return result


def show(label: str, load_before: str, r: dict) -> None:
    print(f"  {label:<10} {r['rate']:8.0f} req/s  p50 {r['p50_us'] / 1000:7.1f} ms  p99 {r['p99_us'] / 1000:7.1f} ms"
          f"  max {r['max_us'] / 1000:7.0f} ms  errors {r['errors']} / {r['pushes']}"
          f" (bad answer {r['bad']}, timeout {r['timeout_err']}, read {r['read_err']}, connect {r['connect_err']})"
          f"  worker CPU {r['cpu_ms']:.2f} ms/push (system {r['sys_ms']:.2f})  load {load_before}")


@contextmanager
def database(kind: str, args: argparse.Namespace):
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
    elif args.postgres_database:
        engine = create_engine(args.postgres_database)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        yield args.postgres_database
    else:
        with scratch_postgres(args.postgres_url) as url:
            yield url


def run(kind: str, args: argparse.Namespace) -> None:
    with database(kind, args) as database_url, tempfile.TemporaryDirectory() as folder:
        overrides = {}
        if kind == "postgres" and args.redis_url:
            import redis

            redis.Redis.from_url(args.redis_url).flushdb()
            overrides["REDIS_URL"] = args.redis_url
        config = bench_config(database_url, ADMIN_PANEL_ENABLED="0", **overrides)
        app = create_app(config)
        with app.app_context():
            upgrade()
        if args.prefill_dedup or args.prefill_alerts:
            prefill(database_url, overrides.get("REDIS_URL", ""), args.prefill_dedup, args.prefill_alerts)
        pusher = WeChatPusher.from_config(app.config)
        first_id = int(time.time() * 1000) * 100
        warm, main_data = Path(folder) / "warm.txt", Path(folder) / "pushes.txt"
        started = time.monotonic()
        write_pushes(pusher, warm, args.warmup, first_id)
        write_pushes(pusher, main_data, args.pushes, first_id + args.warmup)
        print(f"{kind}{' + Redis' if overrides else ''}: {args.pushes} pushes signed in "
              f"{time.monotonic() - started:.1f} s; gunicorn {args.workers} workers x {args.threads} threads, "
              f"wrk {args.wrk_threads} threads x {args.connections} connections, {os.cpu_count()} cpus")
        results = {}
        bare_env = dict(os.environ, PYTHONPATH=str(BENCH))
        if not args.service_only:
            with gunicorn("bare_app:app", bare_env, args, BENCH) as (base, server):
                wrk(base, warm, "success", args)
                before, cpu = loadavg(), cpu_seconds(server.pid)
                results["bare"] = (before, wrk(base, main_data, "success", args))
                system = _SYSTEM[server.pid]
                results["bare"][1]["cpu_ms"] = (cpu_seconds(server.pid) - cpu) / args.pushes * 1000
                results["bare"][1]["sys_ms"] = (_SYSTEM[server.pid] - system) / args.pushes * 1000
        env = dict(os.environ, **{k: str(v) for k, v in config.items()}, PYTHONPATH=str(PROJECT))
        with gunicorn(SERVICE_APP, env, args, PROJECT) as (base, server):
            wrk(base, warm, "<Encrypt>", args)
            spies = []
            if os.environ.get("BENCH_SPY"):
                children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
                seconds = os.environ.get("BENCH_SPY_SECONDS", "6")
                spies = [subprocess.Popen(["py-spy", "record", "-p", pid, "-d", seconds,
                                           "-r", "250", "-f", "raw", "-o", f"{os.environ['BENCH_SPY']}.{pid}",
                                           "--nonblocking", *(["--gil"] if os.environ.get("BENCH_SPY_GIL") else [])],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for pid in children]
            before, cpu = loadavg(), cpu_seconds(server.pid)
            results["service"] = (before, wrk(base, main_data, "<Encrypt>", args))
            system = _SYSTEM[server.pid]
            results["service"][1]["cpu_ms"] = (cpu_seconds(server.pid) - cpu) / args.pushes * 1000
            results["service"][1]["sys_ms"] = (_SYSTEM[server.pid] - system) / args.pushes * 1000
            rss = worker_rss(server.pid)
            for spy in spies:
                spy.wait()
        for label, (before, result) in results.items():
            show(label, before, result)
        if "bare" in results:
            ratio = results["service"][1]["rate"] / results["bare"][1]["rate"]
            print(f"  ratio      service / bare = {ratio:.1%}")
        slowest = results["service"][1]["max_us"] / 1e6
        print(f"  slowest answer {slowest:.2f} s: {'all' if slowest <= 5 else 'NOT all'} within WeChat's 5 s")
        print(f"  worker RSS after the run: {', '.join(f'{mb:.0f} MB' for mb in rss)}")
        expected = args.warmup + args.pushes
        engine = create_engine(database_url)
        with engine.connect() as connection:
            rows = connection.scalar(select(func.count()).select_from(InboundMessage.__table__))
        engine.dispose()
        if not overrides:
            rows -= args.prefill_dedup
        if overrides:
            import redis

            pattern = f"wechat:inbound:{config['WECHAT_APP_ID']}:*"
            keys = sum(1 for _ in redis.Redis.from_url(args.redis_url).scan_iter(pattern, count=10000))
            print(f"  processed: {keys} de-dup keys in Redis, {rows} rows in the database, {expected} pushes sent")
        else:
            print(f"  processed: {rows} de-dup rows, {expected} pushes sent")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pushes", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--max-seconds", type=int, default=240,
                        help="wrk's -d: a run normally ends earlier, when every push is answered")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_SERVER))
    parser.add_argument("--postgres-database", default=os.environ.get("BENCH_POSTGRES_DATABASE"),
                        help="use this existing database (its public schema is dropped) instead of a scratch one")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
                        help="REDIS_URL of the PostgreSQL run (flushed first); '' for none")
    parser.add_argument("--ports", default=os.environ.get("BENCH_PORTS", ""),
                        help="a range for the servers' ports, such as 7500-7599 (default: any free port)")
    parser.add_argument("--prefill-dedup", type=int, default=0,
                        help="de-dup records stored before the run (the goal: 10,000,000)")
    parser.add_argument("--prefill-alerts", type=int, default=0, help="alerts stored before the run (3,000,000)")
    parser.add_argument("--service-only", action="store_true", help="no bare-Flask baseline (the burst run)")
    parser.add_argument("--verbose", action="store_true", help="show gunicorn's error log")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the servers are stopped on the way out
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    for kind in (["sqlite", "postgres"] if args.database == "both" else [args.database]):
        run(kind, args)


if __name__ == "__main__":
    main()
