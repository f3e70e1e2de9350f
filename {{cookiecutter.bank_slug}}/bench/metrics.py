"""Benchmark: what a /metrics scrape costs with a big alert table.

    python bench/metrics.py [--alerts 3000000] [--postgres-url URL]

Fills a scratch PostgreSQL database with --alerts alerts (one a second into the past, 1 in 1,000 still
pending, 1 in 50 undeliverable, the rest delivered) with generate_series, then times: counting the
whole table by state (what /metrics did before, and what `alerts status --all` does), and five GETs
of /metrics (open alerts by state, those that ended in the last 24 h, the oldest open one: all
through indexes).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from flask_migrate import upgrade
from scratch import DEFAULT_POSTGRES_SERVER, bench_config, scratch_postgres  # bench/ is on sys.path
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.extensions import db  # noqa: E402
from {{ cookiecutter.bank_slug }}.outbox.metrics import alert_counts  # noqa: E402

FILL = """
INSERT INTO alert (source, source_txn_id, request_hash, account_id, kind, amount_fen, balance_after_fen, occurred_at,
                   counterparty, memo, state, attempts, next_attempt_at, created_at, finished_at)
SELECT 'core', 'B' || g, '', 'ACC' || (g % 5000), 'purchase', -100, 1000, utc - make_interval(secs => g), '', '',
       CASE WHEN g % 1000 = 0 THEN 'pending' WHEN g % 50 = 0 THEN 'undeliverable' ELSE 'delivered' END, 1,
       utc, utc - make_interval(secs => g),
       CASE WHEN g % 1000 = 0 THEN NULL ELSE utc - make_interval(secs => g) END
FROM generate_series(1, :count) AS g, (SELECT now() AT TIME ZONE 'utc' AS utc) AS now
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=3_000_000)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_SERVER))
    args = parser.parse_args()
    with scratch_postgres(args.postgres_url) as database_url:
        app = create_app(bench_config(database_url, ADMIN_PANEL_ENABLED="0"))
        with app.app_context():
            upgrade()
            started = time.monotonic()
            db.session.execute(text(FILL), {"count": args.alerts})
            db.session.commit()
            db.session.execute(text("ANALYZE alert"))
            db.session.commit()
            print(f"{args.alerts:,} alerts stored in {time.monotonic() - started:.1f} s")
            for _ in range(3):
                started = time.perf_counter()
                alert_counts()
                print(f"  whole table by state (alerts status --all) {1000 * (time.perf_counter() - started):6.0f} ms")
            client = app.test_client()
            for _ in range(5):
                started = time.perf_counter()
                assert client.get("/metrics").status_code == 200
                print(f"  GET /metrics                                {1000 * (time.perf_counter() - started):6.1f} ms")
            db.engine.dispose()


if __name__ == "__main__":
    main()
