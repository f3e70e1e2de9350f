"""Held transfers (普通到账 / 次日到账, and transfers a fraud rule sent to review): the ledger's side.

`hold_transfer` runs inside LedgerCore's transfer transaction once every check passed: one balanced entry moves
the money from the payer to the hold account (HOLD_ACCOUNT_ID), and a `ledger_hold` row remembers where it is to
go. `settle_hold` ends it, once: released (a second entry, the hold account -> the payee, or the settlement
account for another bank) or revoked (the hold account -> back to the payer). Both lock the hold row first
(SELECT ... FOR UPDATE; SQLite: BEGIN IMMEDIATE), then the two accounts in account-id order, so a release and a
revocation racing each other run one after the other: the second finds the row no longer held and is refused
(or, when it asks for what already happened, replays its result).
"""

import hashlib

from sqlalchemy import Connection, Row, func, insert, select, update

from ...shared.timeutil import utcnow
from ..models import Customer
from ..port import (
    HELD,
    REVOKED,
    AccountNotActive,
    CoreUnavailable,
    TransferAlreadyReleased,
    TransferAlreadyRevoked,
    TransferNotHeld,
    TransferResult,
)
from .accounts import HOLD_ACCOUNT_ID
from .models import (
    ENTRY_HELD,
    ENTRY_HELD_STATUS,
    ENTRY_PENDING_SETTLEMENT,
    ENTRY_POSTED,
    ENTRY_RELEASE,
    ENTRY_REVOCATION,
    HOLD_HELD,
    HOLD_RELEASED,
    HOLD_REVOKED,
    KIND_SETTLEMENT,
    STATUS_ACTIVE,
    Hold,
    JournalEntry,
    LedgerAccount,
    Posting,
)
from .posting import Leg, LockedAccount, append_entry, lock_accounts

_HOLDS = Hold.__table__
REVOCATION_MEMO = "延时转账撤销退回"


def _transfer_id(entry_id: int) -> str:
    return f"J{entry_id:010d}"


def hold_transfer(connection: Connection, *, key: str, fingerprint: str, payer: Row, hold_account: Row,
                  payee_account_id: str, payee_name: str, payee_number: str, memo: str, amount_fen: int,
                  unless_applied: bool) -> TransferResult | None:
    """Debit the payer onto the hold account and record the hold; None when the key was applied meanwhile
    (PostgreSQL's ON CONFLICT: the caller replays)."""
    created_at = utcnow()
    locked = {row.account_id: LockedAccount(row.account_id, row.kind, row.status, row.balance_fen)
              for row in (payer, hold_account)}
    written = append_entry(
        connection, idempotency_key=key, request_hash=fingerprint, kind=ENTRY_HELD, status=ENTRY_HELD_STATUS,
        amount_fen=amount_fen, locked=locked, created_at=created_at, unless_applied=unless_applied, legs=[
            Leg(payer.account_id, -amount_fen, "transfer_out", payee_name, payee_number, memo),
            Leg(HOLD_ACCOUNT_ID, amount_fen, "transfer_in", payer.holder_name or "", payer.card_number or "", memo),
        ])
    if written is None:
        return None
    entry_id, balances = written
    connection.execute(insert(_HOLDS).values(
        idempotency_key=key, entry_id=entry_id, payer_account_id=payer.account_id, payee_account_id=payee_account_id,
        payee_name=payee_name[:64], payee_number=payee_number[:34], memo=memo, amount_fen=amount_fen,
        status=HOLD_HELD, created_at=created_at))
    return TransferResult(transfer_id=_transfer_id(entry_id), status=HELD, amount_fen=amount_fen,
                          from_balance_after_fen=balances[payer.account_id], posted_at=created_at)


def _locked_hold(connection: Connection, key: str) -> Row | None:
    query = select(_HOLDS).where(_HOLDS.c.idempotency_key == key)
    if connection.dialect.name != "sqlite":  # SQLite: the transaction already holds the write lock
        query = query.with_for_update()
    return connection.execute(query).first()


def _payer_balance_after(connection: Connection, entry_id: int, account_id: str) -> int:
    return connection.scalar(select(Posting.balance_after_fen).where(
        Posting.entry_id == entry_id, Posting.account_id == account_id).order_by(Posting.id.desc()).limit(1))


def _result(connection: Connection, hold: Row, status: str | None = None, replayed: bool = True) -> TransferResult:
    """The result of the hold's release or revocation (its final entry)."""
    entry = connection.execute(select(JournalEntry.status, JournalEntry.created_at)
                               .where(JournalEntry.id == hold.final_entry_id)).one()
    revoked = hold.status == HOLD_REVOKED
    balance_entry = hold.final_entry_id if revoked else hold.entry_id  # a release moves nothing of the payer's
    return TransferResult(
        transfer_id=_transfer_id(hold.final_entry_id), status=status or (REVOKED if revoked else entry.status),
        amount_fen=hold.amount_fen, posted_at=entry.created_at, replayed=replayed,
        from_balance_after_fen=_payer_balance_after(connection, balance_entry, hold.payer_account_id))


def _holder(connection: Connection, account_id: str) -> tuple[str, str]:
    row = connection.execute(select(Customer.name, LedgerAccount.card_number, LedgerAccount.label)
                             .outerjoin(Customer, Customer.id == LedgerAccount.customer_id)
                             .where(LedgerAccount.account_id == account_id)).first()
    if row is None:
        return "", ""
    return (row.name or row.label or ""), (row.card_number or "")


def settle_hold(connection: Connection, key: str, *, release: bool) -> TransferResult:
    """Release (release=True) or revoke the transfer held under `key`, once (see the module's docstring)."""
    hold = _locked_hold(connection, key)
    if hold is None:
        raise TransferNotHeld()
    if hold.status == HOLD_RELEASED:
        if release:
            return _result(connection, hold)
        raise TransferAlreadyReleased()
    if hold.status == HOLD_REVOKED:
        if not release:
            return _result(connection, hold)
        raise TransferAlreadyRevoked()
    target = hold.payee_account_id if release else hold.payer_account_id
    locked = lock_accounts(connection, [HOLD_ACCOUNT_ID, target])
    if HOLD_ACCOUNT_ID not in locked or target not in locked:
        raise CoreUnavailable("延时到账暂挂户或收款账户不存在，请联系银行")
    if release and locked[target].status != STATUS_ACTIVE:
        raise AccountNotActive("收款账户状态异常，无法入账")
    payer_name, payer_card = _holder(connection, hold.payer_account_id)
    now = utcnow()
    if release:
        kind = ENTRY_RELEASE
        status = ENTRY_PENDING_SETTLEMENT if locked[target].kind == KIND_SETTLEMENT else ENTRY_POSTED
        legs = [Leg(HOLD_ACCOUNT_ID, -hold.amount_fen, "transfer_out", hold.payee_name, hold.payee_number, hold.memo),
                Leg(target, hold.amount_fen, "transfer_in", payer_name, payer_card, hold.memo)]
    else:
        kind, status = ENTRY_REVOCATION, ENTRY_POSTED
        legs = [Leg(HOLD_ACCOUNT_ID, -hold.amount_fen, "transfer_out", payer_name, payer_card, REVOCATION_MEMO),
                Leg(target, hold.amount_fen, "transfer_in", hold.payee_name, hold.payee_number, REVOCATION_MEMO)]
    what = "release" if release else "revoke"
    entry_id, _ = append_entry(
        connection, idempotency_key=f"{what}:{hold.id}", request_hash=hashlib.sha256(f"{what}|{key}".encode())
        .hexdigest(), kind=kind, status=status, amount_fen=hold.amount_fen, locked=locked, created_at=now, legs=legs)
    connection.execute(update(_HOLDS).where(_HOLDS.c.id == hold.id).values(
        status=HOLD_RELEASED if release else HOLD_REVOKED, final_entry_id=entry_id, finished_at=now))
    settled = connection.execute(select(_HOLDS).where(_HOLDS.c.id == hold.id)).one()
    return _result(connection, settled, replayed=False)


def held_total(connection: Connection) -> int:
    """What the holds still held add up to (the hold account's balance must be this)."""
    return int(connection.scalar(select(func.coalesce(func.sum(_HOLDS.c.amount_fen), 0))
                                 .where(_HOLDS.c.status == HOLD_HELD)))
