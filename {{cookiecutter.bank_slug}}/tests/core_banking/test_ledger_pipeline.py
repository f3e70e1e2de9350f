"""PostgreSQL: a transfer's statements go out as two psycopg pipelines (posting.lock_parties_and_find, then
posting.append_entry_and_commit). What that must not change: a resend replays (and, applied before, queues on no
account), a database error in the second pipeline writes nothing and leaves the accounts unlocked, a key that a
concurrent request applied with another payload is a conflict, the alerts commit with their postings."""

import threading
import uuid

import pytest
from sqlalchemy import func, select, text

from {{ cookiecutter.bank_slug }}.core_banking.ledger import core as ledger_core
from {{ cookiecutter.bank_slug }}.core_banking.ledger import posting
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount
from {{ cookiecutter.bank_slug }}.core_banking.port import CoreUnavailable, IdempotencyConflict, TransferRequest
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import Alert

from ..ledger_helpers import check, counts, seed


@pytest.fixture
def engine(app):
    with app.app_context():
        engine = db.engine
    if not posting.pipelines(engine):  # (it reads the dialect, which an engine has as a connection does)
        pytest.skip("the pipelines are PostgreSQL's (TEST_DATABASE_URL)")
    return engine


@pytest.fixture
def accounts(app, engine):
    return seed(app)


@pytest.fixture
def ledger(engine, accounts):
    return LedgerCore(engine)


def request(payer, payee, amount_fen=1_000, key=None):
    return TransferRequest(idempotency_key=key or uuid.uuid4().hex, from_account_id=payer.account_id,
                           to_account_number=payee.card_number, to_name=payee.customer.name, amount_fen=amount_fen)


def alert_count(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Alert))


def balances(engine, *accounts) -> list[int]:
    with engine.connect() as connection:
        return [connection.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.account_id == a.account_id))
                for a in accounts]


def test_a_transfer_posts_alerts_and_answers_with_the_balance(engine, accounts, ledger):
    payer, payee = accounts[0], accounts[1]
    before, alerted, (paid, got) = counts(engine), alert_count(engine), balances(engine, payer, payee)
    result = ledger.transfer(request(payer, payee, 2_345))
    assert not result.replayed and result.from_balance_after_fen == paid - 2_345
    assert balances(engine, payer, payee) == [paid - 2_345, got + 2_345]
    assert counts(engine) == (before[0] + 1, before[1] + 2)
    assert alert_count(engine) == alerted + 2
    with engine.connect() as connection:  # the entry has the id taken in the first pipeline
        assert connection.scalar(text("SELECT max(id) FROM ledger_journal_entry")) == int(result.transfer_id[1:])
    assert check(engine).ok


def test_a_resend_replays_without_waiting_for_the_accounts(engine, accounts, ledger):
    """An applied key locks nothing: the resend answers while another transaction holds the payer's row."""
    payer, payee = accounts[0], accounts[1]
    sent = request(payer, payee, 1_000)
    original = ledger.transfer(sent)
    answers = []
    with engine.connect() as holder:
        holder.execute(select(LedgerAccount.account_id).where(LedgerAccount.account_id == payer.account_id)
                       .with_for_update())
        resend = threading.Thread(target=lambda: answers.append(ledger.transfer(sent)))
        resend.start()
        resend.join(timeout=60)  # blocked on the row, it would wait until the holder rolls back below
        finished_while_locked = not resend.is_alive()
        holder.rollback()
    resend.join()
    assert finished_while_locked
    assert answers[0].replayed and answers[0].transfer_id == original.transfer_id


def test_a_database_error_in_the_write_writes_nothing_and_unlocks(engine, accounts, ledger, monkeypatch):
    """A posting the database refuses (its kind CHECK) fails at the pipeline's sync: nothing of the entry, its
    postings, balances or alerts is kept, the caller gets CoreUnavailable, and the next transfer goes through."""
    payer, payee = accounts[0], accounts[1]
    before, alerted, moneys = counts(engine), alert_count(engine), balances(engine, payer, payee)
    real = posting._postings

    def refused_kind(legs, locked):
        postings, after, moved = real(legs, locked)
        return [{**postings[0], "kind": "no_such_kind"}, *postings[1:]], after, moved

    monkeypatch.setattr(posting, "_postings", refused_kind)
    with pytest.raises(CoreUnavailable):
        ledger.transfer(request(payer, payee, 1_000))
    monkeypatch.setattr(posting, "_postings", real)
    assert (counts(engine), alert_count(engine), balances(engine, payer, payee)) == (before, alerted, moneys)
    assert not ledger.transfer(request(payer, payee, 1_000)).replayed  # the rows were not left locked
    assert check(engine).ok


def test_a_key_applied_meanwhile_with_another_payload_is_a_conflict(engine, accounts, ledger, monkeypatch):
    """The lookup missed it (as if the other request committed after it): the entry's unique key refuses the
    write at COMMIT, the unit is retried, and the retry's lookup finds the entry: a conflict, nothing posted."""
    first = ledger.transfer(request(accounts[0], accounts[1], 1_000, key="K-race"))
    before, alerted = counts(engine), alert_count(engine)
    real = posting.lock_parties_and_find
    missed = []

    def misses_once(connection, **kwargs):
        rows, applied, entry_id = real(connection, **kwargs)
        if not missed:
            missed.append(applied)
            # the lookup and the locking statement as if the entry were not there yet
            kwargs["idempotency_key"] = "K-not-yet"
            rows, _, _ = real(connection, **kwargs)
            applied = None
        return rows, applied, entry_id

    monkeypatch.setattr(posting, "lock_parties_and_find", misses_once)
    monkeypatch.setattr(ledger_core, "lock_parties_and_find", misses_once)
    with pytest.raises(IdempotencyConflict):
        ledger.transfer(request(accounts[2], accounts[3], 7_000, key="K-race"))
    assert missed and missed[0].id == int(first.transfer_id[1:])
    assert (counts(engine), alert_count(engine)) == (before, alerted)
    assert check(engine).ok


def test_concurrent_requests_with_one_key_make_one_posting(engine, accounts, ledger):
    payer, payee = accounts[0], accounts[1]
    sent = request(payer, payee, 500)
    before = counts(engine)
    answers, barrier = [], threading.Barrier(8)

    def send():
        barrier.wait()
        answers.append(ledger.transfer(sent))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({answer.transfer_id for answer in answers}) == 1
    assert sum(not answer.replayed for answer in answers) == 1
    assert counts(engine) == (before[0] + 1, before[1] + 2)
    assert check(engine).ok
