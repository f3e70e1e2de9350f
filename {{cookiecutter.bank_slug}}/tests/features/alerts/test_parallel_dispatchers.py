"""Several dispatchers at once on PostgreSQL (FOR UPDATE SKIP LOCKED): disjoint batches, every alert
sent exactly once, none waiting on another's locks."""

import threading
from collections import Counter

import pytest
from sqlalchemy import delete, func, insert, select

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import DELIVERED, SOURCE_CORE, Alert
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...conftest import make_config
from ...live_sandbox import live_sandbox
from .support import bind

pytestmark = pytest.mark.postgres

ALERTS = 600
DISPATCHERS = 3


def test_three_dispatchers_share_the_work_without_sending_twice(postgres_url):
    app = create_app(make_config(postgres_url, ALERT_CONCURRENT_SENDS=4, ALERT_BATCH_SIZE=20,
                                 ALERT_MIN_AMOUNT_YUAN="0"))
    try:
        with live_sandbox(app) as live:
            live.state.add_user("oParallel000000000000000001", subscribed=True)
            bind(app, "oParallel000000000000000001", "PAR-1")
            now = utcnow()
            with app.app_context():
                db.session.execute(delete(Alert))  # the session's database: earlier tests' postings left alerts
                db.session.execute(insert(Alert), [{
                    "source": SOURCE_CORE, "source_txn_id": f"P{n:05d}", "request_hash": "", "account_id": "PAR-1",
                    "kind": "purchase", "amount_fen": -(n + 1), "balance_after_fen": 10**6, "occurred_at": now,
                    "counterparty": "", "memo": "", "state": "pending", "attempts": 0, "next_attempt_at": now,
                    "created_at": now} for n in range(ALERTS)])
                db.session.commit()
            dispatchers = [Dispatcher(app, owner=f"parallel-{n}") for n in range(DISPATCHERS)]
            results = [None] * DISPATCHERS
            threads = [threading.Thread(target=lambda n=n: results.__setitem__(n, dispatchers[n].drain(2.0)))
                       for n in range(DISPATCHERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            for dispatcher in dispatchers:
                dispatcher.close()
            with app.app_context():
                states = dict(db.session.execute(select(Alert.state, func.count()).group_by(Alert.state)).all())
            assert states == {DELIVERED: ALERTS}
            sent = Counter(r.payload["url"] for r in live.state.records_since(kind="template"))
            assert len(sent) == ALERTS and set(sent.values()) == {1}
            assert all(result[DELIVERED] > 0 for result in results)  # every dispatcher got a share
    finally:
        with app.app_context():
            db.session.execute(delete(Alert))
            db.session.execute(delete(CardBinding))
            db.session.commit()
            db.engine.dispose()
