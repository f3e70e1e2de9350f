"""Helpers for the ledger's tests: seed the demo data, count what the ledger holds, run the check."""

from sqlalchemy import Engine, func, select

from {{ cookiecutter.bank_slug }}.core_banking.ledger.check import LedgerReport, begin_snapshot, check_ledger
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount, Posting, card_key
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.shared import demo_data


def seed(app) -> list[LedgerAccount]:
    """`flask seed-demo`; returns the demo accounts in demo_data.ACCOUNTS order (detached)."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        accounts = []
        for serial in range(1, len(demo_data.ACCOUNTS) + 1):
            account = db.session.scalar(
                select(LedgerAccount).where(LedgerAccount.card_number_hash == card_key(demo_data.card_number(serial))))
            _ = account.customer.name  # loaded before the session closes
            accounts.append(account)
        db.session.expunge_all()
    return accounts


def counts(engine: Engine) -> tuple[int, int]:
    """(journal entries, postings)"""
    with engine.connect() as connection:
        return (connection.scalar(select(func.count()).select_from(JournalEntry)),
                connection.scalar(select(func.count()).select_from(Posting)))


def check(engine: Engine) -> LedgerReport:
    with engine.connect() as connection:
        begin_snapshot(connection)
        return check_ledger(connection)
