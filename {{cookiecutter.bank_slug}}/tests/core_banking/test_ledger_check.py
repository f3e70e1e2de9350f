"""`flask ledger check`: passes on a sound ledger, exits 1 naming the breach otherwise (the audit of rows written
before the database enforced the rules, or past them: test_ledger_constraints.py has the rules)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, insert, select, text, update

from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import SETTLEMENT_ACCOUNT_ID
from {{ cookiecutter.bank_slug }}.core_banking.ledger.check import check_ledger
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount, Posting
from {{ cookiecutter.bank_slug }}.core_banking.port import TransferRequest
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ..ledger_helpers import seed


@pytest.fixture
def accounts(app):
    accounts = seed(app)
    with app.app_context():
        ledger = LedgerCore(db.engine)
    for n in range(5):
        payer, payee = accounts[n % 2 * 2], accounts[2 - n % 2 * 2]
        ledger.transfer(TransferRequest(uuid.uuid4().hex, payer.account_id, payee.card_number,
                                        payee.customer.name, 1_000 + n))
    ledger.transfer(TransferRequest(uuid.uuid4().hex, accounts[4].account_id, "6222020200112233445", "赵六",
                                    7_700, to_bank="中国银行"))
    return accounts



def test_a_sound_ledger_passes(app, accounts):
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output
    assert "Ledger check passed" in result.output
    assert "journal entries: 25" in result.output  # 9 opening deposits + 10 demo credit-card purchases + 6 transfers
    assert "sum of balances: 0" in result.output
    for account in accounts:
        assert account.card_number not in result.output


def test_an_empty_ledger_passes(app):
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output


def _corrupt(app, statement):
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def _failed(app, *expected):
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 1, result.output
    assert "Ledger check failed" in result.output
    for wanted in expected:
        assert wanted in result.output, result.output
    return result.output


def test_a_corrupted_balance_fails(app, accounts):
    target = accounts[2].account_id
    _corrupt(app, update(LedgerAccount).where(LedgerAccount.account_id == target)
             .values(balance_fen=LedgerAccount.balance_fen + 1))
    output = _failed(app, "sum of all balances is 1, not 0", "balance != sum of its postings", target)
    assert SETTLEMENT_ACCOUNT_ID not in output.split("BREACH")[-1]


def test_a_posting_out_of_line_fails(app, accounts):
    with app.app_context():
        posting_id = db.session.scalar(select(Posting.id).where(Posting.account_id == accounts[0].account_id)
                                       .order_by(Posting.id).limit(1))
    _corrupt(app, update(Posting).where(Posting.id == posting_id).values(balance_after_fen=1))
    _failed(app, "running sum", f"{accounts[0].account_id} posting {posting_id}")


@contextmanager
def _rules_lifted(app) -> Iterator[Connection]:
    """A connection, rolled back at the end, on which the database's own ledger rules (migration 0011) are off:
    how the audit meets rows written before them, or by someone who switched them off."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        else:  # the balance trigger waits for a COMMIT that never comes; the CHECK comes back with the rollback
            connection.execute(text("ALTER TABLE ledger_account "
                                    "DROP CONSTRAINT ck_ledger_account_customer_not_negative"))
        try:
            yield connection
        finally:
            connection.rollback()
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")


def test_an_unbalanced_entry_and_a_negative_balance_fail(app, accounts):
    poor = accounts[8]
    with _rules_lifted(app) as connection:
        entry_id = connection.execute(insert(JournalEntry).values(
            idempotency_key="forged", request_hash="0" * 64, kind="transfer", status="posted", amount_fen=900,
            created_at=utcnow())).inserted_primary_key[0]
        connection.execute(insert(Posting).values(
            entry_id=entry_id, account_id=poor.account_id, amount_fen=-900, balance_after_fen=poor.balance_fen - 900,
            kind="transfer_out"))
        connection.execute(update(LedgerAccount).where(LedgerAccount.account_id == poor.account_id)
                           .values(balance_fen=poor.balance_fen - 900))
        breaches = "\n".join(check_ledger(connection).breaches)
    for expected in ("entry not balanced", f"entry {entry_id}", "negative customer balance", poor.account_id,
                     "sum of all balances is -900"):
        assert expected in breaches, breaches
    after = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert after.exit_code == 0, after.output  # rolled back: the rules and the books are intact
