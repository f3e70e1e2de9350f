"""What the dispatcher's batching must keep: a batch of results written at once means the same as one statement
per result (on PostgreSQL it is one UPDATE ... FROM unnest), only while the lease is held, and the send loop
never has more calls out than `concurrency` (wechat/client/aio.py `feed`)."""

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.outbox import claims
from {{ cookiecutter.bank_slug }}.outbox.metrics import DELIVERY_LAG
from {{ cookiecutter.bank_slug }}.outbox.models import DELIVERED, PENDING, SENDING, Notice
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.client.aio import AsyncWeChatClient, CachedTokenStore


def _notice(n: int, owner: str | None, state: str = SENDING, created_at=None) -> Notice:
    now = utcnow()
    return Notice(source="core", source_txn_id=f"batch-{n}", account_id="A-1", kind="purchase", amount_fen=-100,
                  occurred_at=now, state=state, lease_owner=owner, next_attempt_at=now + timedelta(minutes=1),
                  created_at=created_at or now)


def test_a_batch_of_results_is_written_as_one_statement_per_result_would(app):
    with app.app_context():
        mine, lost, other = _notice(1, "dispatcher-1"), _notice(2, "dispatcher-2"), _notice(3, "dispatcher-1")
        db.session.add_all([mine, lost, other])
        db.session.commit()
        now = utcnow()
        retry_at = now + timedelta(seconds=30)
        written = claims.record(db.engine, "dispatcher-1", [
            claims.Update(mine.id, DELIVERED, now, tries=1, openid="oA", channel="wechat", msgid="9001",
                          finished_at=now),
            claims.Update(mine.id, PENDING, retry_at, tries=1, last_error="second of the batch: too late"),
            claims.Update(lost.id, DELIVERED, now, tries=1, msgid="9002", finished_at=now),  # not our lease
            claims.Update(other.id, PENDING, retry_at, tries=2, openid="oB", last_error="errcode -1: busy"),
        ])
        assert written == 2
        db.session.expire_all()
        rows = {row.id: row for row in db.session.scalars(select(Notice))}
        first = rows[mine.id]
        assert (first.state, first.channel, first.msgid, first.attempts, first.openid, first.lease_owner) == (
            DELIVERED, "wechat", "9001", 1, "oA", None)
        assert first.finished_at is not None and first.last_error is None
        assert (rows[lost.id].state, rows[lost.id].msgid, rows[lost.id].lease_owner) == (SENDING, None, "dispatcher-2")
        again = rows[other.id]
        assert (again.state, again.attempts, again.last_error, again.finished_at) == (PENDING, 2, "errcode -1: busy",
                                                                                      None)
        assert abs((again.next_attempt_at - retry_at).total_seconds()) < 1


def test_claimed_rows_carry_created_at_for_the_lag_metric(app):
    with app.app_context():
        created = utcnow() - timedelta(minutes=3)
        notice = _notice(4, None, state=PENDING, created_at=created)
        notice.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.add(notice)
        db.session.commit()
        (row,) = claims.claim(db.engine, "dispatcher-1", 10, utcnow(), 60)
        assert abs((row.created_at - created).total_seconds()) < 1


def _lag_count() -> float:
    return next(s.value for m in DELIVERY_LAG.collect() for s in m.samples if s.name.endswith("_count"))


def test_recorded_final_outcomes_are_observed_in_the_lag_histogram(app):
    from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher

    with app.app_context():
        notice = _notice(5, None, state=PENDING, created_at=utcnow() - timedelta(seconds=30))
        notice.next_attempt_at = utcnow() - timedelta(seconds=1)
        notice.topic = "no-such-topic"  # ends undeliverable at once (unknown topic): a final outcome, no send
        db.session.add(notice)
        db.session.commit()
        before = _lag_count()
        dispatcher = Dispatcher(app, concurrency=2)
        try:
            counts = dispatcher.drain()
        finally:
            dispatcher.close()
        assert counts["undeliverable"] == 1
        assert _lag_count() == before + 1


class _Store:
    clock = staticmethod(lambda: 0)
    endpoint = "test"

    def get(self, fetch):
        return "T"


def test_feed_handles_every_item_oldest_first_with_at_most_concurrency_at_once():
    client = AsyncWeChatClient("http://127.0.0.1:9/cgi-bin/", CachedTokenStore(_Store()), lambda: None, 5, 3)
    running, most, started, results = [0], [0], [], []
    finished = threading.Event()

    async def handle(item):
        started.append(item)
        running[0] += 1
        most[0] = max(most[0], running[0])
        await asyncio.sleep(0.001 * (item % 4))
        running[0] -= 1
        return item * 10

    def on_done(result):
        results.append(result)
        if len(results) == 25:
            finished.set()

    try:
        client.feed(range(10), handle, on_done)
        client.feed(range(10, 25), handle, on_done)
        assert finished.wait(10)
    finally:
        client.close()
    assert sorted(results) == [n * 10 for n in range(25)]
    assert started == list(range(25))  # taken in the order they were handed over
    assert most[0] == 3
