"""Benchmark: transfers per second through the built-in ledger (LedgerCore) from N client threads.

    python bench/transfers.py [--clients 32] [--transfers 6000] [--accounts 20] [--pgbench-seconds 15]
                              [--postgres-url URL] [--no-postgres] [--no-sqlite] [--no-pgbench]

PostgreSQL: creates a scratch database on the server (--postgres-url names the server, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), migrates it and drops it afterwards.
SQLite: a migrated file in a temp folder. Each run opens --accounts accounts with opening deposits
from the capital account, builds the random transfers before the clock starts (inside this bank,
both directions of the same pairs, about 3 % to another bank, 10 % resending an earlier key), sends
them from --clients threads through the app's engine (pool sized to the clients), prints throughput,
latency percentiles and outcomes, and ends with the ledger check (exit 1 on any breach).

The baseline, in the same run: pgbench's built-in TPC-B-like transaction (3 updates, an insert, a select) on a
scratch database of the same server, scale 10, with the same number of clients (`pgbench -c N -j 2 -T S`);
the ledger's rate is printed as a ratio of it. Needs `pgbench` (Debian: postgresql-client) on PATH.
"""

import argparse
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import quantiles

from flask_migrate import upgrade
from scratch import add_database_options, bench_config, databases, scratch_postgres  # bench/ is on sys.path
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import (  # noqa: E402
    ensure_internal_accounts,
    open_customer_account,
    post_opening_deposit,
)
from {{ cookiecutter.bank_slug }}.core_banking.ledger.check import begin_snapshot, check_ledger, summary_lines  # noqa: E402
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore  # noqa: E402
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch, Customer  # noqa: E402
from {{ cookiecutter.bank_slug }}.core_banking.port import CoreBankingError, TransferRequest  # noqa: E402
from {{ cookiecutter.bank_slug }}.db import engine_options as engine_options_for  # noqa: E402
from {{ cookiecutter.bank_slug }}.extensions import db  # noqa: E402
from {{ cookiecutter.bank_slug }}.shared.cards import with_check_digit  # noqa: E402

OPENING_FEN = 100_000_000  # 1,000,000 yuan each: most transfers succeed, a few large ones do not


def _config(database_url: str, clients: int) -> dict:
    engine_options = {**engine_options_for(database_url), "pool_size": clients, "max_overflow": 0}  # the app's own
    return bench_config(database_url, SQLALCHEMY_ENGINE_OPTIONS=engine_options)


def _open_accounts(engine, count: int) -> list[tuple[str, str, str]]:
    opened = []
    with Session(engine) as session:
        ensure_internal_accounts(session)
        branch = Branch(code="BENCH", name="压测网点")
        for n in range(count):
            customer = Customer(name=f"压测客户{n:03d}", id_number=f"BENCH{n:013d}", phone="13800000000",
                                branch=branch)
            session.add(customer)
            account = open_customer_account(session, customer, with_check_digit(f"622848{900000 + n:012d}"), "")
            opened.append((account.account_id, account.card_number, customer.name))
        session.commit()
    for account_id, _card, _name in opened:
        post_opening_deposit(engine, account_id, OPENING_FEN)
    return opened


def _workload(accounts: list[tuple[str, str, str]], transfers: int, rng: random.Random) -> list[TransferRequest]:
    ids = [account[0] for account in accounts]
    pairs = [(accounts[i], accounts[(i + 1) % len(accounts)]) for i in range(len(accounts))]
    requests: list[TransferRequest] = []
    for _ in range(transfers):
        if requests and rng.random() < 0.10:
            requests.append(requests[rng.randrange(max(0, len(requests) - 200), len(requests))])
            continue
        payer, payee = rng.choice(pairs) if rng.random() < 0.7 else rng.sample(accounts, 2)
        if rng.random() < 0.5:
            payer, payee = payee, payer
        amount = rng.choice([rng.randint(1, 50_000), rng.randint(1, 5_000_000)])
        key = uuid.uuid4().hex
        if rng.random() < 0.03:
            requests.append(TransferRequest(key, payer[0], "6222020200112233445", "赵六", amount, to_bank="中国银行"))
        else:
            requests.append(TransferRequest(key, payer[0], payee[1], payee[2], amount))
    assert len(set(ids)) == len(ids)
    return requests


def pgbench_tps(server_url: str, clients: int, seconds: int) -> float:
    """pgbench's TPC-B-like rate (transactions/s) on a scratch database of the server, `clients` connections."""
    if shutil.which("pgbench") is None:
        raise SystemExit("pgbench not found (apt-get install postgresql-client), or pass --no-pgbench")
    with scratch_postgres(server_url) as url:
        target = make_url(url)
        common = ["-h", target.host or "127.0.0.1", "-p", str(target.port or 5432), "-U", target.username or "postgres"]
        env = {**os.environ, "PGPASSWORD": target.password or ""}
        subprocess.run(["pgbench", "-i", "-q", "-s", "10", *common, target.database], check=True, env=env,
                       capture_output=True)
        done = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), *common,
                               target.database], check=True, env=env, capture_output=True, text=True)
    match = re.search(r"tps = ([0-9.]+)", done.stdout)
    if match is None:
        raise SystemExit("pgbench printed no tps:\n" + done.stdout + done.stderr)
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    print(f"baseline pgbench TPC-B-like: clients: {clients}  {float(match.group(1)):.0f} tps"
          + (f"  latency avg={latency.group(1)} ms" if latency else ""))
    return float(match.group(1))


def _send_all(core: LedgerCore, requests: list[TransferRequest], threads: int) -> tuple[list[float], Counter]:
    """Send the requests from `threads` threads; each one's latency in ms and the outcomes."""
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def send(request: TransferRequest) -> float:
        started = time.perf_counter()
        try:
            outcome = "replayed" if core.transfer(request).replayed else "posted"
        except CoreBankingError as exc:
            outcome = exc.code
        elapsed = time.perf_counter() - started
        with lock:
            outcomes[outcome] += 1
        return elapsed * 1000

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(send, requests, chunksize=8)), outcomes


def _child(engine, requests: list[TransferRequest], threads: int, results, go) -> None:
    """One worker process (forked): its own connections, as a gunicorn worker has."""
    engine.dispose(close=False)  # the parent's pooled connections are not this process's to use
    go.wait()
    results.put(_send_all(LedgerCore(engine), requests, threads))


def run(database_url: str, args: argparse.Namespace) -> bool:
    processes = max(1, min(args.processes, args.clients))
    threads = args.clients // processes
    app = create_app(_config(database_url, threads))
    with app.app_context():
        upgrade()
        engine = db.engine
    accounts = _open_accounts(engine, args.accounts)
    requests = _workload(accounts, args.transfers, random.Random(args.seed))

    if processes == 1:
        started = time.perf_counter()
        latencies, outcomes = _send_all(LedgerCore(engine), requests, threads)
        elapsed = time.perf_counter() - started
    else:  # the production shape: gunicorn worker processes, each with its threads
        context = multiprocessing.get_context("fork")
        results, go = context.Queue(), context.Event()
        engine.dispose()
        children = [context.Process(target=_child, args=(engine, requests[n::processes], threads, results, go))
                    for n in range(processes)]
        for child in children:
            child.start()
        time.sleep(0.5)  # let every child fork and import before the clock starts
        started = time.perf_counter()
        go.set()
        latencies, outcomes = [], Counter()
        for _ in children:
            part, counted = results.get()
            latencies += part
            outcomes += counted
        elapsed = time.perf_counter() - started
        for child in children:
            child.join()
    latencies.sort()

    with engine.connect() as connection:
        begin_snapshot(connection)
        report = check_ledger(connection)
    engine.dispose()
    cuts = quantiles(latencies, n=100)
    print(f"database: {make_url(database_url).get_backend_name()}  clients: {processes * threads} "
          f"({processes} processes x {threads} threads)  "
          f"accounts: {args.accounts}  cpus: {os.cpu_count()}")
    rate = len(requests) / elapsed
    print(f"transfers: {len(requests)}  elapsed: {elapsed:.2f}s  throughput: {rate:.0f} transfers/s")
    if database_url.startswith("postgresql") and args.baseline_tps:
        print(f"ratio to pgbench's TPC-B-like rate in this run: {rate / args.baseline_tps:.2f} "
              f"(goal >= 0.33)  load average: {os.getloadavg()[0]:.2f}")
    print(f"latency ms p50={cuts[49]:.1f} p90={cuts[89]:.1f} p99={cuts[98]:.1f} max={latencies[-1]:.1f}")
    print("outcomes: " + ", ".join(f"{name}={count}" for name, count in sorted(outcomes.items())))
    for line in summary_lines(report):
        print("  " + line)
    print("ledger check: " + ("passed" if report.ok else "FAILED\n  " + "\n  ".join(report.breaches)))
    return report.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--transfers", type=int, default=6000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--processes", type=int, default=4,
                        help="worker processes sharing the clients, as gunicorn runs the service (default 4: two "
                             "instances of 2 workers; 1 = all clients as threads of this process)")
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--no-pgbench", action="store_true")
    add_database_options(parser)
    args = parser.parse_args()
    args.baseline_tps = None
    if not args.no_postgres and not args.no_pgbench:
        args.baseline_tps = pgbench_tps(args.postgres_url, args.clients, args.pgbench_seconds)

    ok = True
    for database_url in databases(args):
        ok &= run(database_url, args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
