"""Demo ledger accounts for `flask seed-demo`: card accounts for the demo customers, opening
deposits from the capital account, and the settlement account (data in demo_data.py)."""

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ...shared import demo_data
from ..models import Customer, id_number_key
from .accounts import ensure_internal_accounts, open_customer_account, post_opening_deposit
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
