"""The ledger's rules enforced by the database (migration 0011): CHECK constraints on every database, and on
PostgreSQL a deferred trigger that refuses, at COMMIT, an entry whose postings do not sum to zero.

The direct writes below bypass the ledger's code, as a script or a bug would; the database refuses them.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, Connection, create_engine, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import CAPITAL_ACCOUNT_ID
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount, Posting
from {{ cookiecutter.bank_slug }}.core_banking.port import TransferRequest
from {{ cookiecutter.bank_slug }}.extensions import db

from ..conftest import DEFAULT_POSTGRES_URL, make_config, scratch_postgres_or_skip
from ..ledger_helpers import check, remove_demo_credit_cards, seed

LEDGER_TABLES = (LedgerAccount, JournalEntry, Posting)


def _entry(**values) -> dict:
    return {"idempotency_key": uuid.uuid4().hex, "request_hash": "0" * 64, "kind": "transfer", "status": "posted",
            "amount_fen": 100, **values}


def _posting(entry_id: int, account_id: str, amount_fen: int, **values) -> dict:
    return {"entry_id": entry_id, "account_id": account_id, "amount_fen": amount_fen, "balance_after_fen": 0,
            "kind": "transfer_out" if amount_fen < 0 else "transfer_in", **values}


def _new_entry(connection: Connection, **values) -> int:
    return connection.execute(insert(JournalEntry).values(**_entry(**values))).inserted_primary_key[0]


@contextmanager
def _transaction(engine) -> Iterator[Connection]:
    """A connection whose work is rolled back at the end, whatever happened."""
    with engine.connect() as connection:
        try:
            yield connection
        finally:
            connection.rollback()


@pytest.fixture
def ledger(app):
    """(engine, demo accounts) with the opening deposits posted."""
    accounts = seed(app)
    with app.app_context():
        yield db.engine, accounts


def _refused(engine, write) -> str:
    with _transaction(engine) as connection, pytest.raises(IntegrityError) as refused:
        write(connection)
        connection.commit()
    return str(refused.value.orig)


def _account(**values):
    return insert(LedgerAccount).values(**{"account_id": "X0000001", "kind": "settlement", "status": "active",
                                           "currency": "CNY", "balance_fen": 0, **values})


@pytest.mark.parametrize(("write", "constraint"), [
    (lambda c, _a: c.execute(_account(kind="loan")), "ck_ledger_account_kind"),
    (lambda c, _a: c.execute(_account(kind="capital", status="dormant")), "ck_ledger_account_status"),
    (lambda c, _a: c.execute(insert(JournalEntry).values(**_entry(kind="refund"))), "ck_ledger_journal_entry_kind"),
    (lambda c, _a: c.execute(insert(JournalEntry).values(**_entry(status="void"))), "ck_ledger_journal_entry_status"),
    (lambda c, _a: c.execute(insert(JournalEntry).values(**_entry(amount_fen=0))),
     "ck_ledger_journal_entry_amount_positive"),
    (lambda c, _a: c.execute(insert(JournalEntry).values(**_entry(amount_fen=-100))),
     "ck_ledger_journal_entry_amount_positive"),
    (lambda c, a: c.execute(insert(Posting).values(**_posting(_new_entry(c), a[0].account_id, 0))),
     "ck_ledger_posting_amount_nonzero"),
    (lambda c, a: c.execute(insert(Posting).values(**_posting(_new_entry(c), a[0].account_id, 100, kind="gift"))),
     "ck_ledger_posting_kind"),
    (lambda c, a: c.execute(update(LedgerAccount).where(LedgerAccount.account_id == a[0].account_id)
                            .values(balance_fen=-1)), "ck_ledger_account_customer_not_negative"),
    (lambda c, a: c.execute(update(LedgerAccount).where(LedgerAccount.account_id == a[0].account_id)
                            .values(status="asleep")), "ck_ledger_account_status"),
    (lambda c, a: c.execute(update(Posting).where(Posting.account_id == a[0].account_id).values(amount_fen=0)),
     "ck_ledger_posting_amount_nonzero"),
], ids=["account-kind", "account-status", "entry-kind", "entry-status", "entry-amount-zero",
        "entry-amount-negative", "posting-zero", "posting-kind", "customer-negative", "status-update",
        "posting-update-zero"])
def test_a_write_that_breaks_a_rule_is_refused(ledger, write, constraint):
    engine, accounts = ledger
    message = _refused(engine, lambda connection: write(connection, accounts))
    if engine.dialect.name == "postgresql":  # SQLite names the failed condition, not the constraint
        assert constraint in message, message
    assert check(engine).ok


def test_internal_accounts_may_go_negative_and_accounts_be_frozen(ledger):
    engine, accounts = ledger
    with engine.begin() as connection:
        capital = connection.scalar(select(LedgerAccount.balance_fen).where(
            LedgerAccount.account_id == CAPITAL_ACCOUNT_ID))
        assert capital < 0  # the source of every opening deposit
        connection.execute(update(LedgerAccount).where(LedgerAccount.account_id == accounts[0].account_id)
                           .values(status="frozen"))


def test_every_known_value_is_accepted(ledger):
    """What the code writes, and the port's other transaction kinds, pass the CHECKs (then rolled back)."""
    engine, accounts = ledger
    payer, payee = accounts[0].account_id, accounts[1].account_id
    with _transaction(engine) as connection:
        for status in ("active", "frozen", "closed"):
            connection.execute(_account(account_id=f"X{status[:7]}", kind="capital", status=status))
        for kind, status in (("transfer", "posted"), ("interbank_transfer", "pending_settlement"),
                             ("opening_deposit", "posted")):
            entry_id = _new_entry(connection, kind=kind, status=status)
            connection.execute(insert(Posting), [_posting(entry_id, payer, -100), _posting(entry_id, payee, 100)])
        for kind in ("deposit", "withdrawal", "fee", "interest", "other"):
            entry_id = _new_entry(connection)
            connection.execute(insert(Posting), [_posting(entry_id, payer, -1, kind=kind),
                                                 _posting(entry_id, payee, 1, kind=kind)])
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the balance trigger passes them too


def test_transfers_through_the_ledger_still_post_and_the_audit_passes(app, ledger):
    engine, accounts = ledger
    core = LedgerCore(engine)
    payer, payee = accounts[0], accounts[1]
    result = core.transfer(TransferRequest(uuid.uuid4().hex, payer.account_id, payee.card_number,
                                           payee.customer.name, payer.balance_fen))  # empties the account: 0 is fine
    assert result.from_balance_after_fen == 0
    core.transfer(TransferRequest(uuid.uuid4().hex, payee.account_id, "6222020200112233445", "赵六", 1_00,
                                  to_bank="中国银行"))
    assert check(engine).ok
    cli = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert cli.exit_code == 0, cli.output


def test_the_database_holds_the_constraints_the_models_declare(app):
    """Alembic's autogenerate does not compare CHECK constraints: this test does, by name."""
    with app.app_context():
        inspector = inspect(db.engine)
        for model in LEDGER_TABLES:
            declared = {str(constraint.name) for constraint in model.__table__.constraints
                        if isinstance(constraint, CheckConstraint)}
            reflected = {constraint["name"] for constraint in inspector.get_check_constraints(model.__tablename__)}
            assert declared and declared == reflected, model.__tablename__


# --- PostgreSQL: each entry balanced, checked at COMMIT ----------------------------------------------------


@pytest.fixture(scope="module")
def pg_ledger():
    """(engine, demo accounts) on a migrated PostgreSQL database of this module's own: seeding the session's
    (postgres_url) would leave accounts and alerts to tests that count them. The tests keep it a sound ledger."""
    scratch = scratch_postgres_or_skip(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    url = scratch.create()
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        accounts = seed(app)
        db.engine.dispose()
    engine = create_engine(url)
    yield engine, accounts
    engine.dispose()
    scratch.drop()


@pytest.mark.postgres
def test_an_entry_written_posting_by_posting_commits_when_balanced_and_goes_with_its_postings(pg_ledger):
    engine, accounts = pg_ledger
    payer, payee = accounts[0].account_id, accounts[1].account_id
    with engine.begin() as connection:
        entry_id = _new_entry(connection, amount_fen=300)
        connection.execute(insert(Posting).values(**_posting(entry_id, payer, -300)))  # unbalanced until the next
        connection.execute(insert(Posting).values(**_posting(entry_id, payee, 200)))
        connection.execute(insert(Posting).values(**_posting(entry_id, payee, 100)))
    with engine.begin() as connection:  # postings and entry removed together: nothing left to balance
        assert connection.execute(Posting.__table__.delete().where(Posting.entry_id == entry_id)).rowcount == 3
        connection.execute(JournalEntry.__table__.delete().where(JournalEntry.id == entry_id))
    assert check(engine).ok  # the session's PostgreSQL database stays a sound ledger for the other tests


@pytest.mark.postgres
@pytest.mark.parametrize("legs", [[-300, 200], [-300], [], [300, -299, -2]], ids=str)
def test_an_unbalanced_entry_fails_at_commit(pg_ledger, legs):
    engine, accounts = pg_ledger
    targets = [accounts[n % 2].account_id for n in range(len(legs))]
    with _transaction(engine) as connection:
        entry_id = _new_entry(connection, amount_fen=300)
        for account_id, amount_fen in zip(targets, legs, strict=True):
            connection.execute(insert(Posting).values(**_posting(entry_id, account_id, amount_fen)))
        with pytest.raises(IntegrityError, match=f"ledger entry {entry_id} is not balanced"):
            connection.commit()
    assert check(engine).ok


@pytest.mark.postgres
@pytest.mark.parametrize("change", ["amount", "move", "delete"])
def test_changing_a_posted_entry_unbalances_it_and_fails_at_commit(pg_ledger, change):
    engine, accounts = pg_ledger
    with engine.connect() as connection:
        posting_id, entry_id = connection.execute(select(Posting.id, Posting.entry_id).where(
            Posting.account_id == accounts[0].account_id).limit(1)).one()
        other_entry = connection.scalar(select(JournalEntry.id).where(JournalEntry.id != entry_id).limit(1))
    statement = {
        "amount": update(Posting).where(Posting.id == posting_id).values(amount_fen=Posting.amount_fen + 1),
        "move": update(Posting).where(Posting.id == posting_id).values(entry_id=other_entry),
        "delete": Posting.__table__.delete().where(Posting.id == posting_id),
    }[change]
    with _transaction(engine) as connection:
        connection.execute(statement)
        with pytest.raises(IntegrityError, match="is not balanced"):
            connection.commit()
    assert check(engine).ok


# --- the migration on a database that already holds a ledger -----------------------------------------------


@pytest.fixture
def empty_url(database_url, tmp_path):
    """An empty database of the kind the suite runs on."""
    if database_url.startswith("postgresql"):
        scratch = scratch_postgres_or_skip(database_url)
        yield scratch.create()
        scratch.drop()
    else:
        yield f"sqlite:///{tmp_path / 'legacy.db'}"


def _revision(connection: Connection) -> str:
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def test_the_migration_refuses_existing_rows_that_break_a_rule_then_applies(empty_url, caplog):
    app = create_app(make_config(empty_url))
    with app.app_context():
        upgrade()  # the demo data needs today's tables; then back to before the constraints
        accounts = seed(app)
        remove_demo_credit_cards(db.engine)  # 0032 refuses to go back while credit cards exist
        downgrade(revision="0010")
        poor = accounts[0].account_id
        with db.engine.begin() as connection:
            connection.execute(update(LedgerAccount).where(LedgerAccount.account_id == poor).values(balance_fen=-5))
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits 1
            upgrade(revision="0011")
        assert "flask ledger check" in caplog.text and "balance_fen >= 0 (1 rows)" in caplog.text
        with db.engine.begin() as connection:
            assert _revision(connection) == "0010"
            connection.execute(update(LedgerAccount).where(LedgerAccount.account_id == poor)
                               .values(balance_fen=accounts[0].balance_fen))
        upgrade(revision="0011")
        with db.engine.connect() as connection:
            assert _revision(connection) == "0011"
            assert check(db.engine).ok
        _refused(db.engine, lambda c: c.execute(update(LedgerAccount).where(LedgerAccount.account_id == poor)
                                                .values(balance_fen=-1)))
        db.engine.dispose()
