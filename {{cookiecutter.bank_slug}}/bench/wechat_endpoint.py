"""Benchmark: encrypted (safe-mode) pushes per second to /wechat under gunicorn.

    python bench/wechat_endpoint.py [--workers 5] [--clients 16] [--requests 4000]
                                    [--postgres-url URL] [--no-postgres] [--no-sqlite]

Starts gunicorn on a free loopback port against a fresh migrated database (a scratch PostgreSQL
database on the server --postgres-url names, dropped afterwards; then SQLite in a temp folder),
sends distinct signed and AES-encrypted text messages ("帮助") from --clients threads with
keep-alive sessions, and prints throughput and latency percentiles. The pushes are built before
the clock starts; the client runs on the same machine.
"""

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import quantiles

import requests
from flask_migrate import upgrade
from scratch import add_database_options, bench_config, databases, free_port  # bench/ is on sys.path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message  # noqa: E402


def run(database_url: str, args: argparse.Namespace) -> None:
    config = bench_config(database_url)
    app = create_app(config)
    with app.app_context():
        upgrade()
    pusher = WeChatPusher.from_config(app.config)
    base_id = int(time.time() * 1000)
    pushes = [pusher.sign(text_message(f"o-bench-{i % 500}", "帮助", base_id + i)) for i in range(args.requests)]

    port = free_port()
    env = dict(os.environ, **config, PYTHONPATH=str(PROJECT))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--workers", str(args.workers),
         "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
         "{{ cookiecutter.bank_slug }}.wsgi:app"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        sessions: dict[int, requests.Session] = {}

        def send(index: int) -> tuple[float, bool]:
            session = sessions.setdefault(index % args.clients, requests.Session())
            signed = pushes[index]
            started = time.perf_counter()
            response = session.post(base + "/wechat", params=signed.query, data=signed.body.encode(), timeout=10)
            ok = response.status_code == 200 and "<Encrypt>" in response.text
            return time.perf_counter() - started, ok

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(send, range(args.requests), chunksize=32))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = sorted(r[0] * 1000 for r in results)
    failures = sum(1 for r in results if not r[1])
    cuts = quantiles(latencies, n=100)
    print(f"database: {config['DATABASE_URL'].split(':', 1)[0]}  gunicorn workers={args.workers} "
          f"threads={args.threads}  clients={args.clients}  cpus={os.cpu_count()}")
    print(f"requests: {args.requests}  failures: {failures}  elapsed: {elapsed:.2f}s")
    print(f"throughput: {args.requests / elapsed:.0f} req/s  latency ms p50={cuts[49]:.1f} p95={cuts[94]:.1f} "
          f"p99={cuts[98]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    add_database_options(parser)
    args = parser.parse_args()
    for database_url in databases(args):
        run(database_url, args)


if __name__ == "__main__":
    main()
