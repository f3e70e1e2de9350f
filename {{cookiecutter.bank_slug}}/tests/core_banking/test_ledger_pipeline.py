"""PostgreSQL: a transfer's statements go out as psycopg pipelines. The guarded path (LedgerCore._transfer_pipelined):
an unlocked read of the parties and the key (posting.read_parties_and_find), then the locks, the guarded write and
the COMMIT in one pipeline (posting.post_transfer_guarded). The locked path, when the guard writes nothing or the
read was refused: posting.lock_parties_and_find, then posting.append_entry_and_commit. What that must not change:
a resend replays (and, applied before, queues on no account), a database error writes nothing and leaves the
accounts unlocked, a key that a concurrent request applied with another payload is a conflict, the alerts commit
with their postings; a guard that fails (the rows changed after the read) writes nothing and the refusal is the
locked path's; a refusal keeps the connection's prepared statements."""

import random
import threading
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, func, select, text, update

from {{ cookiecutter.bank_slug }}.core_banking.ledger import core as ledger_core
from {{ cookiecutter.bank_slug }}.core_banking.ledger import posting
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount, Posting
from {{ cookiecutter.bank_slug }}.core_banking.models import Customer
from {{ cookiecutter.bank_slug }}.core_banking.port import (
    AccountNotActive,
    CoreUnavailable,
    IdempotencyConflict,
    InsufficientFunds,
    PayeeNameMismatch,
    TransferRequest,
)
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.ledger_writer import _COLUMNS, ledger_alert_rows
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


@pytest.fixture
def paths(monkeypatch):
    """What each transfer took: "guarded" (written by post_transfer_guarded), "fell back" (it wrote nothing),
    "locked" (lock_parties_and_find ran)."""
    taken = []
    guarded, locked = ledger_core.post_transfer_guarded, ledger_core.lock_parties_and_find

    def spied_guarded(connection, **kwargs):
        written = guarded(connection, **kwargs)
        taken.append("guarded" if written is not None else "fell back")
        return written

    def spied_locked(connection, **kwargs):
        taken.append("locked")
        return locked(connection, **kwargs)

    monkeypatch.setattr(ledger_core, "post_transfer_guarded", spied_guarded)
    monkeypatch.setattr(ledger_core, "lock_parties_and_find", spied_locked)
    return taken


@pytest.fixture
def locked_path_only(monkeypatch):
    """The guarded write declines (as it does when an outbox writer has no SQL form): the locked path runs."""
    monkeypatch.setattr(ledger_core, "post_transfer_guarded", lambda connection, **kwargs: None)


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


def test_a_transfer_posts_alerts_and_answers_with_the_balance(engine, accounts, ledger, paths):
    payer, payee = accounts[0], accounts[1]
    before, alerted, (paid, got) = counts(engine), alert_count(engine), balances(engine, payer, payee)
    result = ledger.transfer(request(payer, payee, 2_345))
    assert not result.replayed and result.from_balance_after_fen == paid - 2_345
    assert balances(engine, payer, payee) == [paid - 2_345, got + 2_345]
    assert counts(engine) == (before[0] + 1, before[1] + 2)
    assert alert_count(engine) == alerted + 2
    with engine.connect() as connection:  # the newest entry
        assert connection.scalar(text("SELECT max(id) FROM ledger_journal_entry")) == int(result.transfer_id[1:])
    assert paths == ["guarded"]
    assert check(engine).ok


def test_the_locked_path_posts_alerts_and_answers_with_the_balance(engine, accounts, ledger, locked_path_only):
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


def stored_alerts(engine, transfer_id: str) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(*(getattr(Alert, column) for column in _COLUMNS))
                                  .where(Alert.source_txn_id.startswith(transfer_id + ":"))
                                  .order_by(Alert.source_txn_id)).mappings().all()
    return [dict(row) for row in rows]


def stored_postings(engine, entry_id: int) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(
            select(Posting.account_id, Posting.amount_fen, Posting.balance_after_fen, Posting.kind,
                   Posting.counterparty_name, Posting.counterparty_account, Posting.memo)
            .where(Posting.entry_id == entry_id).order_by(Posting.id)).mappings()]


@pytest.mark.parametrize("other_bank", [False, True])
def test_the_guarded_writes_alerts_are_the_python_writers_rows(app, engine, accounts, ledger, paths, other_bank):
    """The alerts' SQL form (over the postings the database inserted) gives what ledger_alert_rows gives for those
    postings: the txn ids, balances after, masked counterparty, scrubbed memo; another bank's transfer alerts the
    payer only. The postings are in leg order, their counterparties stored encrypted and read back in clear."""
    payer, payee = accounts[0], accounts[1]
    sent = (TransferRequest(uuid.uuid4().hex, payer.account_id, "6222020200112233445", "赵六", 1_234,
                            to_bank="中国银行", memo="房租 13800001111")
            if other_bank else replace(request(payer, payee, 1_234), memo="货款 13800001111"))
    result = ledger.transfer(sent)
    assert paths == ["guarded"]
    entry_id = int(result.transfer_id[1:])
    postings = stored_postings(engine, entry_id)
    assert [p["amount_fen"] for p in postings] == [-1_234, 1_234]
    assert postings[0]["balance_after_fen"] == result.from_balance_after_fen
    if not other_bank:
        assert postings[0]["counterparty_name"] == payee.customer.name
        assert postings[1]["counterparty_name"] == payer.customer.name
        assert postings[1]["counterparty_account"] == payer.card_number
    customers = {payer.account_id} | (set() if other_bank else {payee.account_id})
    expected = ledger_alert_rows(entry_id, postings, customers, result.posted_at)
    assert stored_alerts(engine, result.transfer_id) == [{column: row[column] for column in _COLUMNS}
                                                         for row in expected]
    assert len(expected) == (1 if other_bank else 2)
    with engine.connect() as connection:  # encrypted at rest, as the ORM writes them
        stored = connection.scalar(text("SELECT counterparty_name FROM ledger_posting WHERE entry_id = :e "
                                        "ORDER BY id LIMIT 1"), {"e": entry_id})
    assert stored != postings[0]["counterparty_name"]
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


def test_a_database_error_in_the_guarded_write_writes_nothing_and_unlocks(engine, accounts, ledger, monkeypatch):
    """A posting the database refuses (its kind CHECK) fails the guarded write's pipeline: nothing of the entry,
    its postings, balances or alerts is kept, the caller gets CoreUnavailable, the next transfer goes through."""
    payer, payee = accounts[0], accounts[1]
    before, alerted, moneys = counts(engine), alert_count(engine), balances(engine, payer, payee)
    real = LedgerCore._legs

    def refused_kind(plan, amount_fen):
        debit, credit = real(plan, amount_fen)
        return [posting.Leg(**{**debit.__dict__, "kind": "no_such_kind"}), credit]

    monkeypatch.setattr(LedgerCore, "_legs", staticmethod(refused_kind))
    with pytest.raises(CoreUnavailable):
        ledger.transfer(request(payer, payee, 1_000))
    monkeypatch.setattr(LedgerCore, "_legs", staticmethod(real))
    assert (counts(engine), alert_count(engine), balances(engine, payer, payee)) == (before, alerted, moneys)
    assert not ledger.transfer(request(payer, payee, 1_000)).replayed  # the rows were not left locked
    assert check(engine).ok


def test_a_database_error_in_the_write_writes_nothing_and_unlocks(engine, accounts, ledger, monkeypatch,
                                                                    locked_path_only):
    """The locked path: a posting the database refuses (its kind CHECK) fails at the second pipeline's sync:
    nothing of the entry, its postings, balances or alerts is kept, the caller gets CoreUnavailable, and the next
    transfer goes through."""
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


def test_a_key_applied_after_the_read_with_another_payload_is_a_conflict(engine, accounts, ledger, monkeypatch,
                                                                         paths):
    """The unlocked read missed it (as if the other request committed after it): the guarded write inserts
    nothing (the key is taken), the locked path finds the entry: a conflict, nothing posted."""
    first = ledger.transfer(request(accounts[0], accounts[1], 1_000, key="K-after-read"))
    before, alerted = counts(engine), alert_count(engine)
    real = posting.read_parties_and_find

    def misses(connection, **kwargs):
        rows, stored, _ = real(connection, **kwargs)
        return rows, stored, None

    monkeypatch.setattr(ledger_core, "read_parties_and_find", misses)
    with pytest.raises(IdempotencyConflict):
        ledger.transfer(request(accounts[2], accounts[3], 7_000, key="K-after-read"))
    assert paths == ["guarded", "fell back", "locked"]
    assert first.transfer_id
    assert (counts(engine), alert_count(engine)) == (before, alerted)
    assert check(engine).ok


def test_a_key_applied_meanwhile_with_another_payload_is_a_conflict(engine, accounts, ledger, monkeypatch,
                                                                    locked_path_only):
    """The unlocked read and the locked path's lookup missed it (as if the other request committed after them):
    the entry's unique key refuses the write at COMMIT, the unit is retried, and the retry's locked lookup finds
    the entry: a conflict, nothing posted."""
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
    read = posting.read_parties_and_find
    monkeypatch.setattr(ledger_core, "read_parties_and_find",
                        lambda connection, **kwargs: (*read(connection, **kwargs)[:2], None))
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


def after_the_read(monkeypatch, change):
    """Run `change()` once, right after the guarded path's unlocked read (the rows are not locked yet)."""
    real, done = posting.read_parties_and_find, []

    def read_then_change(connection, **kwargs):
        found = real(connection, **kwargs)
        if not done:
            done.append(True)
            change()
        return found

    monkeypatch.setattr(ledger_core, "read_parties_and_find", read_then_change)
    return done


def set_account(engine, account, **values):
    with engine.begin() as connection:
        connection.execute(update(LedgerAccount).where(LedgerAccount.account_id == account.account_id).values(**values))


def rename(app, account, name):
    with app.app_context():  # the column type encrypts the name: a fresh ciphertext even when it is the same name
        db.session.execute(update(Customer).where(Customer.id == account.customer_id).values(name=name))
        db.session.commit()


@pytest.mark.parametrize("change, refusal", [
    ("drained", InsufficientFunds), ("payer frozen", AccountNotActive), ("payee frozen", AccountNotActive),
    ("payee renamed", PayeeNameMismatch),
])
def test_a_guard_that_fails_writes_nothing_and_the_locked_path_refuses(app, engine, accounts, ledger, paths,
                                                                       monkeypatch, change, refusal):
    """Between the unlocked read and the locks the rows change: the guarded write writes nothing (its COMMIT
    closes an empty transaction) and the locked path, reading under the locks, refuses with the reason."""
    payer, payee, third = accounts[0], accounts[1], accounts[2]
    (paid,) = balances(engine, payer)
    ahead = request(payer, third, paid - 500)  # leaves 500 fen

    def act():
        if change == "drained":
            LedgerCore(engine).transfer(ahead)
        elif change == "payer frozen":
            set_account(engine, payer, status="frozen")
        elif change == "payee frozen":
            set_account(engine, payee, status="frozen")
        else:
            rename(app, payee, "另一个人")

    done = after_the_read(monkeypatch, act)
    before, alerted = counts(engine), alert_count(engine)
    moneys = balances(engine, payer, payee)
    with pytest.raises(refusal):
        ledger.transfer(request(payer, payee, 1_000))
    assert done
    drained = change == "drained"
    assert counts(engine) == ((before[0] + 1, before[1] + 2) if drained else before)
    assert alert_count(engine) == alerted + (2 if drained else 0)
    assert balances(engine, payer, payee) == ([500, moneys[1]] if drained else moneys)
    # the guarded write fell back; the drain's own transfer (inside the hook) went the guarded way
    assert paths[-2:] == ["fell back", "locked"]
    assert check(engine).ok


def test_a_guard_that_fails_on_a_changed_row_still_posts_on_the_locked_path(app, engine, accounts, ledger, paths,
                                                                            monkeypatch):
    """The payee's name stored again (same name, new ciphertext) after the read: the guard sees another row and
    writes nothing; the locked path checks the name itself and posts, once."""
    payer, payee = accounts[0], accounts[1]
    after_the_read(monkeypatch, lambda: rename(app, payee, payee.customer.name))
    before, (paid, got) = counts(engine), balances(engine, payer, payee)
    result = ledger.transfer(request(payer, payee, 777))
    assert not result.replayed and result.from_balance_after_fen == paid - 777
    assert paths == ["fell back", "locked"]
    assert counts(engine) == (before[0] + 1, before[1] + 2)
    assert balances(engine, payer, payee) == [paid - 777, got + 777]
    assert check(engine).ok


def test_resends_queued_behind_the_locks_replay_the_one_posting(engine, accounts, ledger, paths):
    """Eight sends of one new request all read no entry, then queue on the payer's row (held by another
    transaction). Released, one posts; the others' guarded writes find the key taken, write nothing, and replay."""
    payer, payee = accounts[0], accounts[1]
    sent = request(payer, payee, 321)
    before, alerted, (paid, _) = counts(engine), alert_count(engine), balances(engine, payer, payee)
    answers, errors = [], []

    def send():
        try:
            answers.append(ledger.transfer(sent))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with engine.connect() as holder:
        holder.execute(select(LedgerAccount.account_id).where(LedgerAccount.account_id == payer.account_id)
                       .with_for_update())
        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        with engine.connect() as watcher:  # every send waits on the lock before it is released
            for _ in range(600):
                waiting = watcher.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"))
                if waiting >= 8:
                    break
                threading.Event().wait(0.05)
        holder.rollback()
    for thread in threads:
        thread.join()
    assert not errors and waiting >= 8
    assert len({answer.transfer_id for answer in answers}) == 1
    assert sum(not answer.replayed for answer in answers) == 1
    assert {answer.from_balance_after_fen for answer in answers} == {paid - 321}
    assert counts(engine) == (before[0] + 1, before[1] + 2) and alert_count(engine) == alerted + 2
    assert paths.count("guarded") == 1
    assert check(engine).ok


def test_races_on_the_same_accounts_keep_the_books_exact(engine, accounts, ledger, paths):
    """16 threads send transfers both ways between three accounts (some too large, some resent): every key is
    applied at most once, each account's balance moves by exactly what was posted, and the books balance."""
    trio = accounts[:3]
    start = balances(engine, *trio)
    rng = random.Random(15)
    sent = []
    for _ in range(240):
        payer, payee = rng.sample(trio, 2)
        amount = rng.choice([rng.randint(1, 5_000), rng.randint(1, max(start) // 2)])
        sent.append(request(payer, payee, amount))
    sent += rng.sample(sent, 40)  # resends
    rng.shuffle(sent)
    results, refused, errors, lock = {}, [], [], threading.Lock()

    def worker(mine):
        for one in mine:
            try:
                result = ledger.transfer(one)
                with lock:
                    results.setdefault(one.idempotency_key, set()).add(result.transfer_id)
            except InsufficientFunds:
                refused.append(one)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(sent[n::16],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(len(ids) == 1 for ids in results.values())
    posted = {one.idempotency_key: one for one in sent if one.idempotency_key in results}
    moved = {account.account_id: 0 for account in trio}
    for one in posted.values():
        moved[one.from_account_id] -= one.amount_fen
        payee = next(account for account in trio if account.card_number == one.to_account_number)
        moved[payee.account_id] += one.amount_fen
    assert balances(engine, *trio) == [start[n] + moved[account.account_id] for n, account in enumerate(trio)]
    assert refused and "guarded" in paths
    assert check(engine).ok


def test_a_refusal_keeps_the_connections_prepared_statements(app, accounts):
    """A refused transfer ends with COMMIT (it wrote nothing): a ROLLBACK would make psycopg forget (DEALLOCATE)
    the connection's prepared statements, and the server plan the transfer's statements again."""
    with app.app_context():
        url = db.engine.url
    engine = create_engine(url, pool_size=1, max_overflow=0)  # one connection: the same one every time
    ledger = LedgerCore(engine)
    try:
        for _ in range(6):  # psycopg prepares a statement on its 5th use
            ledger.transfer(request(accounts[0], accounts[1], 100))

        def prepared() -> int:
            with engine.connect() as connection:
                return connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()

        assert prepared() > 0
        kept = prepared()
        with pytest.raises(InsufficientFunds):
            ledger.transfer(request(accounts[0], accounts[1], 10**14))
        assert prepared() >= kept
    finally:
        engine.dispose()
