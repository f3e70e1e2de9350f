"""Held transfers (普通到账 / 次日到账, and review holds) on every adapter: the payer is debited onto the hold
account at once, the payee only at the release; a revocation gives the money back; each ends once, and the
wrong second step is refused with its own code, leaving the balances as they were."""

import uuid

import pytest

from {{ cookiecutter.bank_slug }}.core_banking.port import (
    ARRIVAL_NEXT_DAY,
    ARRIVAL_NORMAL,
    CoreRejectedRequest,
    IdempotencyConflict,
    TransferAlreadyReleased,
    TransferAlreadyRevoked,
    TransferNotHeld,
    TransferRequest,
)

from .test_core_contract import inside, snapshot


def held(demo, amount_fen=20_000, arrival=ARRIVAL_NORMAL, **extra):
    request = inside(demo, amount_fen)
    return TransferRequest(**{**request.__dict__, "arrival": arrival, **extra})


def test_a_held_transfer_debits_the_payer_and_credits_the_payee_only_at_its_release(core, demo):
    request = held(demo)
    result = core.transfer(request)
    assert (result.status, result.amount_fen, result.replayed) == ("held", 20_000, False)
    assert result.from_balance_after_fen == demo.payer.opening_fen - 20_000
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen - 20_000
    assert core.balance(demo.payee.account_id).ledger_fen == demo.payee.opening_fen
    assert core.transfer(request).replayed  # a resent request holds nothing twice
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen - 20_000

    released = core.release_transfer(request.idempotency_key)
    assert (released.status, released.amount_fen, released.replayed) == ("posted", 20_000, False)
    assert core.balance(demo.payee.account_id).ledger_fen == demo.payee.opening_fen + 20_000
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen - 20_000
    again = core.release_transfer(request.idempotency_key)
    assert again.replayed and again.transfer_id == released.transfer_id
    assert core.balance(demo.payee.account_id).ledger_fen == demo.payee.opening_fen + 20_000
    incoming = core.recent_transactions(demo.payee.account_id, 1)[0]
    assert (incoming.amount_fen, incoming.kind, incoming.counterparty_name) == (20_000, "transfer_in",
                                                                                  demo.payer.name)


def test_a_revocation_gives_the_money_back_once(core, demo):
    request = held(demo, 30_000, ARRIVAL_NEXT_DAY)
    core.transfer(request)
    revoked = core.revoke_transfer(request.idempotency_key)
    assert (revoked.status, revoked.amount_fen, revoked.replayed) == ("revoked", 30_000, False)
    assert revoked.from_balance_after_fen == demo.payer.opening_fen
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen
    assert core.balance(demo.payee.account_id).ledger_fen == demo.payee.opening_fen
    second = core.revoke_transfer(request.idempotency_key)  # a second revocation: the same answer, nothing moves
    assert second.replayed and second.transfer_id == revoked.transfer_id
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen


def test_the_wrong_second_step_is_refused_and_moves_nothing(core, demo):
    released, revoked = held(demo, 1_000), held(demo, 2_000)
    core.transfer(released)
    core.transfer(revoked)
    core.release_transfer(released.idempotency_key)
    core.revoke_transfer(revoked.idempotency_key)
    before = snapshot(core, demo)
    with pytest.raises(TransferAlreadyReleased) as late:
        core.revoke_transfer(released.idempotency_key)
    assert late.value.code == "transfer_already_released" and "已到账" in str(late.value.message)
    with pytest.raises(TransferAlreadyRevoked) as gone:
        core.release_transfer(revoked.idempotency_key)
    assert gone.value.code == "transfer_already_revoked"
    for settle in (core.release_transfer, core.revoke_transfer):
        with pytest.raises(TransferNotHeld):
            settle(uuid.uuid4().hex)
    now = inside(demo, 500)
    core.transfer(now)
    with pytest.raises(TransferNotHeld):  # a transfer made at once is not held
        core.revoke_transfer(now.idempotency_key)
    before[demo.payer.account_id] = snapshot(core, demo)[demo.payer.account_id]
    before[demo.payee.account_id] = snapshot(core, demo)[demo.payee.account_id]
    assert snapshot(core, demo) == before


def test_a_held_transfer_to_another_bank_goes_to_settlement_at_its_release(core, demo):
    request = TransferRequest(idempotency_key=uuid.uuid4().hex, from_account_id=demo.payer.account_id,
                              to_account_number="6222020200112233445", to_name="赵六", amount_fen=40_000,
                              to_bank="中国工商银行", arrival=ARRIVAL_NORMAL)
    assert core.transfer(request).status == "held"
    assert core.release_transfer(request.idempotency_key).status == "pending_settlement"
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen - 40_000


def test_a_review_hold_and_the_arrival_are_part_of_the_request(core, demo):
    request = inside(demo, 700)
    review = TransferRequest(**{**request.__dict__, "hold_for_review": True})
    assert core.transfer(review).status == "held"
    with pytest.raises(IdempotencyConflict):  # the same key at once is another request
        core.transfer(request)
    with pytest.raises(CoreRejectedRequest):
        core.transfer(held(demo, arrival="tomorrow-ish"))
