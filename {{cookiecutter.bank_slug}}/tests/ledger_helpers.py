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


def remove_demo_credit_cards(engine: Engine) -> None:
    """Take the demo credit cards (and their purchases, which only touch the cards and the settlement account) out
    of the ledger, balances put back: for tests that go below migration 0032, which refuses to lose credit cards."""
    from sqlalchemy import delete, update

    from {{ cookiecutter.bank_slug }}.core_banking.ledger import models

    with engine.begin() as connection:
        entries = select(JournalEntry.id).where(JournalEntry.kind == models.ENTRY_CARD_PURCHASE)
        for account_id, total in connection.execute(
                select(Posting.account_id, func.sum(Posting.amount_fen)).where(Posting.entry_id.in_(entries))
                .group_by(Posting.account_id)):
            connection.execute(update(LedgerAccount).where(LedgerAccount.account_id == account_id)
                               .values(balance_fen=LedgerAccount.balance_fen - total))
        connection.execute(delete(Posting).where(Posting.entry_id.in_(entries)))
        connection.execute(delete(JournalEntry).where(JournalEntry.kind == models.ENTRY_CARD_PURCHASE))
        connection.execute(delete(models.CreditCardTerms))
        connection.execute(delete(LedgerAccount).where(LedgerAccount.kind == models.KIND_CREDIT))


def counts(engine: Engine) -> tuple[int, int]:
    """(journal entries, postings)"""
    with engine.connect() as connection:
        return (connection.scalar(select(func.count()).select_from(JournalEntry)),
                connection.scalar(select(func.count()).select_from(Posting)))


def check(engine: Engine) -> LedgerReport:
    with engine.connect() as connection:
        begin_snapshot(connection)
        return check_ledger(connection)
