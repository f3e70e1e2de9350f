"""What every CoreBanking adapter must do (the port's contract), run against each adapter in
conftest.CORE_ADAPTERS with the demo data. Only the port is used here: no tables, no HTTP."""

import uuid

import pytest

from {{ cookiecutter.bank_slug }}.core_banking.port import (
    AccountNotFound,
    CoreBanking,
    CoreBankingError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    PayeeNameMismatch,
    PayeeNotFound,
    SameAccount,
    TransferRequest,
)

UNKNOWN_CARD = "6228480000099999992"  # Luhn-valid, never issued by the demo


def key() -> str:
    return uuid.uuid4().hex


def inside(demo, amount_fen=10_000, *, payer=None, payee=None, name=None, idempotency_key=None, memo=""):
    payer, payee = payer or demo.payer, payee or demo.payee
    return TransferRequest(idempotency_key=idempotency_key or key(), from_account_id=payer.account_id,
                           to_account_number=payee.card_number, to_name=payee.name if name is None else name,
                           amount_fen=amount_fen, memo=memo)


def snapshot(core, demo):
    """Balances and histories of every demo account: a refusal must leave them untouched."""
    return {holder.account_id: (core.balance(holder.account_id).ledger_fen,
                                [t.transaction_id for t in core.recent_transactions(holder.account_id, 50)])
            for holder in demo.accounts}


def test_is_a_core_banking(core):
    assert isinstance(core, CoreBanking)


def test_ping_answers_and_changes_nothing(core, demo):
    before = snapshot(core, demo)
    assert core.ping() is None
    assert snapshot(core, demo) == before


# --- accounts and identity ---------------------------------------------------------------------

def test_finds_an_account_by_its_card(core, demo):
    account = core.find_account_by_card(demo.payer.card_number)
    assert account is not None
    assert (account.account_id, account.card_number, account.holder_name) == (
        demo.payer.account_id, demo.payer.card_number, demo.payer.name)
    assert (account.branch_code, account.status, account.currency) == (demo.payer.branch_code, "active", "CNY")
    assert core.get_account(demo.payer.account_id) == account


def test_unknown_card_and_account(core):
    assert core.find_account_by_card(UNKNOWN_CARD) is None
    with pytest.raises(AccountNotFound) as raised:
        core.get_account("A9999999")
    assert raised.value.code == "account_not_found"
    with pytest.raises(AccountNotFound):
        core.balance("A9999999")
    with pytest.raises(AccountNotFound):
        core.recent_transactions("A9999999")


def test_identity_needs_name_id_number_and_phone(core, demo):
    holder = demo.payer
    assert core.verify_identity(holder.account_id, holder.name, holder.id_number, holder.phone)
    assert not core.verify_identity(holder.account_id, demo.payee.name, holder.id_number, holder.phone)
    assert not core.verify_identity(holder.account_id, holder.name, demo.payee.id_number, holder.phone)
    assert not core.verify_identity(holder.account_id, holder.name, holder.id_number, demo.payee.phone)
    assert not core.verify_identity("A9999999", holder.name, holder.id_number, holder.phone)


def test_pin(core, demo):
    assert core.verify_pin(demo.payer.account_id, demo.pin)
    assert not core.verify_pin(demo.payer.account_id, "000000")
    assert not core.verify_pin(demo.payer.account_id, "")
    assert not core.verify_pin(demo.payer.account_id, demo.pin + "0")


# --- balances and history ----------------------------------------------------------------------

def test_opening_balance_and_history(core, demo):
    balance = core.balance(demo.payer.account_id)
    assert balance.account_id == demo.payer.account_id
    assert balance.ledger_fen == balance.available_fen == demo.payer.opening_fen
    history = core.recent_transactions(demo.payer.account_id)
    assert [(t.amount_fen, t.balance_after_fen) for t in history] == [(demo.payer.opening_fen,
                                                                       demo.payer.opening_fen)]


def test_history_is_newest_first_with_balance_after(core, demo):
    first = core.transfer(inside(demo, 10_000, memo="午饭"))
    second = core.transfer(inside(demo, 2_345))
    history = core.recent_transactions(demo.payer.account_id, limit=10)
    assert [t.transaction_id for t in history[:2]] == [second.transfer_id, first.transfer_id]
    latest = history[0]
    assert (latest.amount_fen, latest.kind) == (-2_345, "transfer_out")
    assert latest.balance_after_fen == demo.payer.opening_fen - 12_345 == second.from_balance_after_fen
    assert (latest.counterparty_name, latest.counterparty_account) == (demo.payee.name, demo.payee.card_number)
    assert history[1].memo == "午饭"
    incoming = core.recent_transactions(demo.payee.account_id, limit=1)[0]
    assert (incoming.amount_fen, incoming.kind, incoming.counterparty_name) == (2_345, "transfer_in", demo.payer.name)
    assert incoming.balance_after_fen == demo.payee.opening_fen + 12_345
    assert len(core.recent_transactions(demo.payer.account_id, limit=2)) == 2


# --- transfers ---------------------------------------------------------------------------------

def test_transfer_inside_the_bank_moves_money_once(core, demo):
    request = inside(demo, 88_800)
    result = core.transfer(request)
    assert (result.status, result.amount_fen, result.replayed) == ("posted", 88_800, False)
    assert result.from_balance_after_fen == demo.payer.opening_fen - 88_800
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen - 88_800
    assert core.balance(demo.payee.account_id).ledger_fen == demo.payee.opening_fen + 88_800

    replay = core.transfer(request)
    assert replay.replayed
    assert (replay.transfer_id, replay.status, replay.amount_fen, replay.from_balance_after_fen) == (
        result.transfer_id, result.status, result.amount_fen, result.from_balance_after_fen)
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen - 88_800
    assert core.balance(demo.payee.account_id).ledger_fen == demo.payee.opening_fen + 88_800


def test_same_key_with_another_payload_is_a_conflict(core, demo):
    request = inside(demo, 10_000)
    core.transfer(request)
    before = snapshot(core, demo)
    with pytest.raises(IdempotencyConflict) as raised:
        core.transfer(inside(demo, 10_001, idempotency_key=request.idempotency_key))
    assert raised.value.code == "idempotency_conflict"
    assert snapshot(core, demo) == before


def test_transfer_to_another_bank_is_pending_settlement(core, demo):
    request = TransferRequest(idempotency_key=key(), from_account_id=demo.payer.account_id,
                              to_account_number="6222020200112233445", to_name="赵六", amount_fen=50_000,
                              to_bank="中国工商银行")
    result = core.transfer(request)
    assert (result.status, result.amount_fen) == ("pending_settlement", 50_000)
    assert core.balance(demo.payer.account_id).ledger_fen == demo.payer.opening_fen - 50_000
    out = core.recent_transactions(demo.payer.account_id, limit=1)[0]
    assert (out.amount_fen, out.kind, out.counterparty_name) == (-50_000, "transfer_out", "赵六")
    assert core.transfer(request).replayed


def test_the_whole_balance_can_be_sent_but_not_a_fen_more(core, demo):
    before = snapshot(core, demo)
    with pytest.raises(InsufficientFunds) as raised:
        core.transfer(inside(demo, demo.payer.opening_fen + 1))
    assert raised.value.code == "insufficient_funds"
    assert snapshot(core, demo) == before
    result = core.transfer(inside(demo, demo.payer.opening_fen))
    assert result.from_balance_after_fen == 0
    with pytest.raises(InsufficientFunds):
        core.transfer(inside(demo, 1))


@pytest.mark.parametrize(("case", "error"), [
    ("zero", InvalidAmount), ("negative", InvalidAmount), ("unknown payee", PayeeNotFound),
    ("wrong name", PayeeNameMismatch), ("to itself", SameAccount), ("unknown payer", AccountNotFound),
])
def test_refusals_post_nothing(core, demo, case, error):
    request = {
        "zero": inside(demo, 0),
        "negative": inside(demo, -100),
        "unknown payee": TransferRequest(key(), demo.payer.account_id, UNKNOWN_CARD, "张三", 100),
        "wrong name": inside(demo, 100, name="张三"),
        "to itself": inside(demo, 100, payee=demo.payer),
        "unknown payer": TransferRequest(key(), "A9999999", demo.payee.card_number, demo.payee.name, 100),
    }[case]
    before = snapshot(core, demo)
    with pytest.raises(error) as raised:
        core.transfer(request)
    assert isinstance(raised.value, CoreBankingError) and raised.value.code == error.code
    assert raised.value.message  # Chinese text for the customer's page
    assert snapshot(core, demo) == before
    assert demo.payer.card_number not in str(raised.value)


def test_transfer_between_two_cards_of_one_customer(core, demo):
    result = core.transfer(inside(demo, 1_000, payee=demo.payer_second))
    assert result.status == "posted"
    assert core.balance(demo.payer_second.account_id).ledger_fen == demo.payer_second.opening_fen + 1_000


def test_a_refused_key_can_be_used_again_once_it_would_succeed(core, demo):
    """A refusal posts nothing, so the key is not spent: the same intent retried later goes through."""
    request = inside(demo, demo.payer.opening_fen + 5_000)
    with pytest.raises(InsufficientFunds):
        core.transfer(request)
    core.transfer(inside(demo, 5_000, payer=demo.payee, payee=demo.payer))
    assert core.transfer(request).replayed is False
    assert core.transfer(request).replayed is True
