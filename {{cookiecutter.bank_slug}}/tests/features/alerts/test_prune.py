"""`flask alerts prune`: alerts that ended long ago are deleted in batches; open ones never are."""

from datetime import timedelta

from sqlalchemy import insert, select, update

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import (
    DELIVERED,
    EXPIRED,
    PENDING,
    SENDING,
    SMS,
    SOURCE_CORE,
    UNDELIVERABLE,
    Alert,
)
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher
from {{ cookiecutter.bank_slug }}.outbox.retention import prune
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from .support import alerts, bind, item, push


def _add(app, rows: list[tuple[str, str, int | None]]) -> None:
    """(transaction id, state, days since it finished or None)."""
    now = utcnow()
    with app.app_context():
        db.session.execute(insert(Alert), [{
            "source": SOURCE_CORE, "source_txn_id": txn, "request_hash": "", "account_id": "ACC-1", "kind": "purchase",
            "amount_fen": -100, "balance_after_fen": 1000, "occurred_at": now - timedelta(days=(days or 0) + 1),
            "counterparty": "", "memo": "", "state": state, "attempts": 1, "next_attempt_at": now,
            "created_at": now - timedelta(days=(days or 0) + 1),
            "finished_at": now - timedelta(days=days) if days is not None else None} for txn, state, days in rows])
        db.session.commit()


def _drain(app):
    dispatcher = Dispatcher(app)
    try:
        return dispatcher.drain(0)
    finally:
        dispatcher.close()


def _left(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Alert.source_txn_id)))


def test_only_final_alerts_older_than_the_cutoff_go(app):
    _add(app, [("old-delivered", DELIVERED, 200), ("old-sms", SMS, 200), ("old-undeliverable", UNDELIVERABLE, 400),
               ("old-expired", EXPIRED, 181), ("recent-delivered", DELIVERED, 179), ("fresh", DELIVERED, 0),
               ("old-pending", PENDING, None), ("old-sending", SENDING, None)])
    with app.app_context():
        deleted = prune(db.engine, utcnow() - timedelta(days=180))
    assert deleted == 4
    assert _left(app) == {"recent-delivered", "fresh", "old-pending", "old-sending"}


def test_batches_until_nothing_is_left(app):
    _add(app, [(f"old-{n}", DELIVERED, 365) for n in range(7)] + [("kept", DELIVERED, 1)])
    seen = []
    with app.app_context():
        deleted = prune(db.engine, utcnow() - timedelta(days=30), batch_size=3, progress=seen.append)
    assert deleted == 7 and seen == [3, 6, 7]
    assert _left(app) == {"kept"}


def test_the_command_uses_the_retention_and_reports(make_app):
    app = make_app(ALERT_RETENTION_DAYS=90, ALERT_MAX_AGE_MINUTES=1440)
    _add(app, [("old", DELIVERED, 91), ("kept", DELIVERED, 89)])
    result = app.test_cli_runner().invoke(args=["alerts", "prune"])
    assert result.exit_code == 0, result.output
    assert "pruned 1 alerts" in result.output and "(90 days)" in result.output
    assert _left(app) == {"kept"}
    result = app.test_cli_runner().invoke(args=["alerts", "prune", "--older-than-days", "30"])
    assert result.exit_code == 0 and _left(app) == set()


def test_the_command_refuses_a_cutoff_inside_the_alerts_lifetime(make_app):
    app = make_app(ALERT_MAX_AGE_MINUTES=3 * 24 * 60)
    _add(app, [("old", DELIVERED, 2)])
    result = app.test_cli_runner().invoke(args=["alerts", "prune", "--older-than-days", "2"])
    assert result.exit_code == 2 and "ALERT_MAX_AGE_MINUTES" in result.output
    assert _left(app) == {"old"}


def test_a_pruned_transaction_pushed_again_ends_expired_not_sent_twice(sandbox, sandbox_accounts):
    """The core's id is free again after pruning; the repeated push is stored, but too old to alert anyone."""
    app, account = sandbox.service, sandbox_accounts[0]
    _drain(app)  # the demo accounts' opening deposits: ended before the test's own
    bind(app, "oPrunedTwice000000000000001", account.account_id)
    sandbox.state.add_user("oPrunedTwice000000000000001", subscribed=True)
    with app.test_client() as client:
        occurred = f"{utcnow() - timedelta(days=200):%Y-%m-%dT%H:%M:%S}Z"
        answer = push(client, app, {"transactions": [item("TX-PRUNED", account.account_id, occurred_at=occurred)]})
        assert answer.status_code == 200, answer.get_json()
        with app.app_context():
            db.session.execute(update(Alert).where(Alert.source_txn_id == "TX-PRUNED").values(
                state=DELIVERED, finished_at=utcnow() - timedelta(days=199)))
            db.session.commit()
            assert prune(db.engine, utcnow() - timedelta(days=180)) == 1
        answer = push(client, app, {"transactions": [item("TX-PRUNED", account.account_id, occurred_at=occurred)]})
        assert answer.status_code == 200 and answer.get_json()["results"][0]["status"] == "stored"
    assert _drain(app)[EXPIRED] == 1
    (again,) = alerts(app, source_txn_id="TX-PRUNED")
    assert again.state == EXPIRED
    assert not [r for r in sandbox.state.records_since(kind="template") if r.openid == "oPrunedTwice000000000000001"]
