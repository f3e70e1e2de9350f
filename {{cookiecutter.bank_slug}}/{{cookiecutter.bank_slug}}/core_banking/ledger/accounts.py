"""Opening ledger accounts: the bank's internal accounts, customer card accounts, opening deposits."""

import hashlib

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ...db import write_transaction
from ...shared.cards import luhn_valid, normalise_card
from ...shared.timeutil import utcnow
from ..models import Customer
from .models import (
    ENTRY_OPENING,
    ENTRY_POSTED,
    KIND_CAPITAL,
    KIND_CUSTOMER,
    KIND_SETTLEMENT,
    KIND_SUSPENSE,
    STATUS_ACTIVE,
    LedgerAccount,
)
from .posting import Leg, append_entry, find_entry, lock_accounts

CAPITAL_ACCOUNT_ID = "C0000001"
SETTLEMENT_ACCOUNT_ID = "S0000001"
HOLD_ACCOUNT_ID = "H0000001"
INTERNAL_ACCOUNTS = (
    (CAPITAL_ACCOUNT_ID, KIND_CAPITAL, "本行资本金户"),
    (SETTLEMENT_ACCOUNT_ID, KIND_SETTLEMENT, "跨行清算往来户"),
    (HOLD_ACCOUNT_ID, KIND_SUSPENSE, "延时到账暂挂户"),
)
CUSTOMER_ACCOUNT_PREFIX = "A"


def ensure_internal_accounts(session: Session) -> int:
    """Add the capital and settlement accounts when missing; returns how many were added."""
    added = 0
    for account_id, kind, label in INTERNAL_ACCOUNTS:
        if session.get(LedgerAccount, account_id) is None:
            session.add(LedgerAccount(account_id=account_id, kind=kind, label=label, status=STATUS_ACTIVE,
                                      balance_fen=0))
            added += 1
    session.flush()
    return added


def next_customer_account_id(session: Session) -> str:
    last = session.scalar(
        select(LedgerAccount.account_id)
        .where(LedgerAccount.account_id.like(f"{CUSTOMER_ACCOUNT_PREFIX}%"))
        .order_by(LedgerAccount.account_id.desc())
        .limit(1)
    )
    number = int(last[len(CUSTOMER_ACCOUNT_PREFIX):]) + 1 if last else 1
    return f"{CUSTOMER_ACCOUNT_PREFIX}{number:07d}"


def open_customer_account(session: Session, customer: Customer, card_number: str, pin_hash: str) -> LedgerAccount:
    """A new active card account with a zero balance (post the opening deposit after committing).
    Opening accounts is an operator's job (one at a time), not a concurrent path."""
    card = normalise_card(card_number)
    if len(card) != 19 or not luhn_valid(card):
        raise ValueError("卡号须为 19 位且通过 Luhn 校验 The card number must be 19 Luhn-valid digits")
    account = LedgerAccount(account_id=next_customer_account_id(session), card_number=card, customer=customer,
                            kind=KIND_CUSTOMER, status=STATUS_ACTIVE, balance_fen=0, pin_hash=pin_hash)
    session.add(account)
    session.flush()
    return account


def opening_deposit_key(account_id: str) -> str:
    return f"opening:{account_id}"


def post_opening_deposit(engine: Engine, account_id: str, amount_fen: int) -> bool:
    """Move `amount_fen` from the capital account to a new account, once per account.
    Returns False when the account already had its opening deposit."""
    if amount_fen <= 0:
        raise ValueError("opening deposit must be positive")
    key = opening_deposit_key(account_id)
    fingerprint = hashlib.sha256(f"{key}|{amount_fen}".encode()).hexdigest()

    def work(connection) -> bool:
        locked = lock_accounts(connection, [CAPITAL_ACCOUNT_ID, account_id])
        if len(locked) != 2:
            raise LookupError("capital account or new account missing (run ensure_internal_accounts first)")
        if find_entry(connection, key) is not None:
            return False
        append_entry(connection, idempotency_key=key, request_hash=fingerprint, kind=ENTRY_OPENING,
                     status=ENTRY_POSTED, amount_fen=amount_fen, locked=locked, created_at=utcnow(), legs=[
                         Leg(CAPITAL_ACCOUNT_ID, -amount_fen, "deposit", memo="开户存入"),
                         Leg(account_id, amount_fen, "deposit", memo="开户存入"),
                     ])
        return True

    return write_transaction(engine, work)
