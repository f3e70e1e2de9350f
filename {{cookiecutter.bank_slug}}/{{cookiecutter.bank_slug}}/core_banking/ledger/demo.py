"""Demo ledger accounts for `flask seed-demo`: card accounts for the demo customers, opening
deposits from the capital account, the settlement account, and demo credit cards with some spending
(data in demo_data.py)."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ...shared import demo_data
from ...shared.timeutil import utcnow
from ..models import Customer, id_number_key
from .accounts import ensure_internal_accounts, open_customer_account, post_opening_deposit
from .credit import bank_date, open_credit_card, post_card_purchase
from .models import LedgerAccount, card_key
from .pins import hash_pin


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    card_number: str  # mask before printing
    customer_id: int
    opening_fen: int
    added: bool  # opened by this run


def seed_demo_ledger(session: Session, engine: Engine) -> list[DemoAccount]:
    """Open the demo accounts that are missing (their customers must exist) and post every opening
    deposit not yet posted. Safe to run again."""
    ensure_internal_accounts(session)
    id_numbers = {name: demo_data.id_number(birth, sequence) for name, birth, sequence, *_ in demo_data.CUSTOMERS}
    pin_hash = None
    seeded = []
    for serial, (name, opening_fen) in enumerate(demo_data.ACCOUNTS, start=1):
        card = demo_data.card_number(serial)
        account = session.scalar(select(LedgerAccount).where(LedgerAccount.card_number_hash == card_key(card)))
        added = account is None
        if added:
            customer = session.scalar(select(Customer).where(
                Customer.id_number_hash == id_number_key(id_numbers[name])))
            if customer is None:
                continue
            # One hash of the one published demo PIN serves every demo account (hashing is slow on purpose).
            pin_hash = pin_hash or hash_pin(demo_data.DEMO_PIN)
            account = open_customer_account(session, customer, card, pin_hash)
        seeded.append(DemoAccount(account.account_id, card, account.customer_id, opening_fen, added))
    session.commit()
    for account in seeded:
        post_opening_deposit(engine, account.account_id, account.opening_fen)
    return seeded


@dataclass(frozen=True)
class DemoCreditCard:
    serial: int
    account_id: str
    card_number: str  # mask before printing
    credit_limit_fen: int
    statement_day: int
    due_day: int
    added: bool


def demo_cycle(today) -> tuple[int, int]:
    """The demo's statement day (8 days ago) and due day (about 20 days after it), both 1-28."""
    statement = today - timedelta(days=demo_data.CREDIT_STATEMENT_DAYS_AGO)
    due = statement + timedelta(days=demo_data.CREDIT_DUE_AFTER_DAYS)
    return min(statement.day, 28), min(due.day, 28)


def seed_demo_credit_cards(session: Session, engine: Engine) -> list[DemoCreditCard]:
    """Open the demo credit cards that are missing (opened 100 days ago, so they have statements) and post their
    demo spending once (each purchase under its own key). Safe to run again; the debit cards come first."""
    ensure_internal_accounts(session)
    id_numbers = {name: demo_data.id_number(birth, sequence) for name, birth, sequence, *_ in demo_data.CUSTOMERS}
    now = utcnow()
    statement_day, due_day = demo_cycle(bank_date(now))
    pin_hash = None
    seeded = []
    for serial, (name, limit_fen) in enumerate(demo_data.CREDIT_CARDS, start=1):
        card = demo_data.credit_card_number(serial)
        account = session.scalar(select(LedgerAccount).where(LedgerAccount.card_number_hash == card_key(card)))
        added = account is None
        if added:
            customer = session.scalar(select(Customer).where(
                Customer.id_number_hash == id_number_key(id_numbers[name])))
            if customer is None:
                continue
            pin_hash = pin_hash or hash_pin(demo_data.DEMO_PIN)
            account = open_credit_card(session, customer, card, pin_hash, credit_limit_fen=limit_fen,
                                       statement_day=statement_day, due_day=due_day)
            account.opened_at = now - timedelta(days=demo_data.CREDIT_CARD_OPENED_DAYS_AGO)
        seeded.append(DemoCreditCard(serial, account.account_id, card, limit_fen, statement_day, due_day, added))
    session.commit()
    for card in seeded:
        if not card.added:
            continue
        purchases = demo_data.CREDIT_CARD_PURCHASES.get(card.serial, ())
        for number, (days_ago, amount_fen, merchant) in enumerate(purchases):
            post_card_purchase(engine, card.account_id, amount_fen, merchant,
                               f"demo-purchase:{card.account_id}:{number}", created_at=now - timedelta(days=days_ago))
    return seeded
