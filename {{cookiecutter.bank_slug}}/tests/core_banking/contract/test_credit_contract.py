"""The credit-card part of the port's contract, run against every adapter in conftest.CORE_ADAPTERS (the built-in
ledger, and the HTTP adapter through the reference server around it) with the demo credit cards of seed-demo:
the card's kind, limit and cycle, its statements, and repayments (own cards only, never above what is owed,
exactly once per key, credit restored to the fen). Only the port is used here."""

import uuid
from datetime import timedelta

import pytest

from {{ cookiecutter.bank_slug }}.core_banking.port import (
    CARD_CREDIT,
    CARD_DEBIT,
    AccountNotActive,
    AccountNotFound,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    NotCreditCard,
    NotOwnAccount,
    RepaymentExceedsOwed,
    RepaymentRequest,
    TransferRequest,
)
from {{ cookiecutter.bank_slug }}.shared import demo_data


def key() -> str:
    return uuid.uuid4().hex


def owed_by_demo(serial: int) -> int:
    return sum(amount for _days, amount, _merchant in demo_data.CREDIT_CARD_PURCHASES[serial])


def repayment(demo, amount_fen, *, payer=None, card=None, idempotency_key=None):
    payer, card = payer or demo.payer, card or demo.credit_cards[0]
    return RepaymentRequest(idempotency_key=idempotency_key or key(), from_account_id=payer.account_id,
                            card_account_id=card.account_id, amount_fen=amount_fen)


def state(core, demo):
    """What a refusal must leave as it was: the payer's balance, the card's debt and both histories."""
    card = demo.credit_cards[0]
    return (core.balance(demo.payer.account_id).ledger_fen, core.credit_card(card.account_id).owed_fen,
            [t.transaction_id for t in core.recent_transactions(demo.payer.account_id, 50)],
            [t.transaction_id for t in core.recent_transactions(card.account_id, 50)])


def test_a_credit_card_is_found_by_its_card_and_says_its_kind(core, demo):
    card = demo.credit_cards[0]
    account = core.find_account_by_card(card.card_number)
    assert account is not None
    assert (account.account_id, account.kind, account.holder_name, account.status) == (
        card.account_id, CARD_CREDIT, card.name, "active")
    assert core.get_account(card.account_id) == account
    assert core.get_account(demo.payer.account_id).kind == CARD_DEBIT


def test_the_card_owes_its_spending_and_the_rest_of_its_limit_is_available(core, demo):
    card = demo.credit_cards[0]
    credit = core.credit_card(card.account_id)
    assert credit.account_id == card.account_id
    assert credit.credit_limit_fen == card.credit_limit_fen
    assert credit.owed_fen == owed_by_demo(1)
    assert credit.available_credit_fen == card.credit_limit_fen - owed_by_demo(1)
    assert 1 <= credit.statement_day <= 28 and 1 <= credit.due_day <= 28
    balance = core.balance(card.account_id)
    assert (balance.ledger_fen, balance.available_fen) == (-credit.owed_fen, credit.available_credit_fen)
    spent = core.recent_transactions(card.account_id, limit=1)[0]
    assert (spent.kind, spent.amount_fen) == ("purchase", -demo_data.CREDIT_CARD_PURCHASES[1][-1][1])


def test_statements_are_newest_first_with_the_periods_spending(core, demo):
    card = demo.credit_cards[0]
    statements = core.credit_statements(card.account_id, limit=6)
    assert statements, "the demo card was opened 100 days ago: statements were cut"
    latest = statements[0]
    assert latest.account_id == card.account_id
    assert latest.period_start <= latest.period_end < latest.due_date
    assert latest.due_date - latest.period_end <= timedelta(days=31)
    assert latest.period_end.day == core.credit_card(card.account_id).statement_day
    # the latest statement owes every purchase made before its cut (8 days ago; the demo's are 12+ days old)
    billed = sum(amount for days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1]
                 if days > demo_data.CREDIT_STATEMENT_DAYS_AGO)
    assert latest.new_balance_fen == billed
    assert latest.minimum_payment_fen == max(-(-billed // 10), 10_000)
    assert (latest.paid_fen, latest.remaining_fen) == (0, billed)
    assert all(line.kind == "purchase" and line.amount_fen < 0 for line in latest.transactions)
    assert [line.occurred_at for line in latest.transactions] == sorted(line.occurred_at
                                                                       for line in latest.transactions)
    assert [s.period_end for s in statements] == sorted((s.period_end for s in statements), reverse=True)
    for older, newer in zip(statements[1:], statements, strict=False):
        assert newer.period_start == older.period_end + timedelta(days=1)
    everything = [line.transaction_id for s in statements for line in s.transactions]
    assert len(everything) == len(set(everything))
    assert core.credit_statements(card.account_id, limit=1) == statements[:1]


def test_a_debit_card_has_no_credit_card_details(core, demo):
    with pytest.raises(NotCreditCard) as raised:
        core.credit_card(demo.payer.account_id)
    assert raised.value.code == "not_credit_card"
    with pytest.raises(NotCreditCard):
        core.credit_statements(demo.payer.account_id)
    with pytest.raises(AccountNotFound):
        core.credit_card("A9999999")


def test_repaying_the_statement_moves_money_once_and_restores_the_credit_exactly(core, demo):
    card = demo.credit_cards[0]
    before = core.credit_card(card.account_id)
    latest = core.credit_statements(card.account_id, limit=1)[0]
    request = repayment(demo, latest.remaining_fen)
    result = core.repay_credit_card(request)
    assert (result.amount_fen, result.replayed) == (latest.remaining_fen, False)
    assert result.from_balance_after_fen == demo.payer.opening_fen - latest.remaining_fen
    assert result.owed_after_fen == before.owed_fen - latest.remaining_fen
    assert result.available_credit_after_fen == before.available_credit_fen + latest.remaining_fen
    after = core.credit_card(card.account_id)
    assert (after.owed_fen, after.available_credit_fen) == (result.owed_after_fen, result.available_credit_after_fen)
    assert core.balance(demo.payer.account_id).ledger_fen == result.from_balance_after_fen
    assert core.credit_statements(card.account_id, limit=1)[0].paid_fen == latest.remaining_fen
    assert core.credit_statements(card.account_id, limit=1)[0].remaining_fen == 0

    replay = core.repay_credit_card(request)
    assert replay.replayed
    assert (replay.repayment_id, replay.amount_fen, replay.owed_after_fen, replay.from_balance_after_fen,
            replay.available_credit_after_fen) == (result.repayment_id, result.amount_fen, result.owed_after_fen,
                                                   result.from_balance_after_fen, result.available_credit_after_fen)
    assert core.credit_card(card.account_id).owed_fen == result.owed_after_fen
    out = core.recent_transactions(demo.payer.account_id, limit=1)[0]
    into = core.recent_transactions(card.account_id, limit=1)[0]
    assert (out.kind, out.amount_fen, into.kind, into.amount_fen) == (
        "repayment", -latest.remaining_fen, "repayment", latest.remaining_fen)
    assert out.transaction_id == into.transaction_id == result.repayment_id


def test_everything_owed_can_be_repaid_but_not_a_fen_more(core, demo):
    card = demo.credit_cards[0]
    owed = core.credit_card(card.account_id).owed_fen
    before = state(core, demo)
    with pytest.raises(RepaymentExceedsOwed) as raised:
        core.repay_credit_card(repayment(demo, owed + 1))
    assert raised.value.code == "repayment_exceeds_owed" and raised.value.message
    assert state(core, demo) == before
    result = core.repay_credit_card(repayment(demo, owed))
    assert (result.owed_after_fen, result.available_credit_after_fen) == (0, card.credit_limit_fen)
    with pytest.raises(RepaymentExceedsOwed):
        core.repay_credit_card(repayment(demo, 1))


@pytest.mark.parametrize(("case", "error"), [
    ("zero", InvalidAmount), ("negative", InvalidAmount), ("someone else's debit card", NotOwnAccount),
    ("someone else's credit card", NotOwnAccount), ("a debit card as the card", NotCreditCard),
    ("a credit card as the payer", NotOwnAccount), ("unknown payer", AccountNotFound),
    ("unknown card", AccountNotFound), ("more than the debit card holds", InsufficientFunds),
])
def test_refused_repayments_post_nothing(core, demo, case, error):
    zhang, li = demo.credit_cards[0], demo.credit_cards[1]
    request = {
        "zero": repayment(demo, 0),
        "negative": repayment(demo, -100),
        "someone else's debit card": repayment(demo, 100, payer=demo.payee),  # 李娜's debit card, 张伟's card
        "someone else's credit card": repayment(demo, 100, card=li),  # 张伟's debit card, 李娜's credit card
        "a debit card as the card": RepaymentRequest(key(), demo.payer.account_id, demo.payer_second.account_id,
                                                     100),
        "a credit card as the payer": RepaymentRequest(key(), zhang.account_id, zhang.account_id, 100),
        "unknown payer": RepaymentRequest(key(), "A9999999", zhang.account_id, 100),
        "unknown card": RepaymentRequest(key(), demo.payer.account_id, "A9999999", 100),
        "more than the debit card holds": repayment(demo, demo.payer_second.opening_fen + 1,
                                                    payer=demo.payer_second),
    }[case]
    before = state(core, demo)
    with pytest.raises(error) as raised:
        core.repay_credit_card(request)
    assert raised.value.code == error.code and raised.value.message
    assert state(core, demo) == before
    assert zhang.card_number not in str(raised.value)


def test_same_key_with_another_amount_is_a_conflict(core, demo):
    request = repayment(demo, 1_000)
    core.repay_credit_card(request)
    before = state(core, demo)
    with pytest.raises(IdempotencyConflict):
        core.repay_credit_card(repayment(demo, 1_001, idempotency_key=request.idempotency_key))
    assert state(core, demo) == before


def test_a_repayment_key_is_not_a_transfer_key(core, demo):
    request = repayment(demo, 1_000)
    core.repay_credit_card(request)
    with pytest.raises(IdempotencyConflict):
        core.transfer(TransferRequest(request.idempotency_key, demo.payer.account_id, demo.payee.card_number,
                                      demo.payee.name, 1_000))


def test_a_credit_card_cannot_pay_a_transfer(core, demo):
    card = demo.credit_cards[0]
    before = state(core, demo)
    with pytest.raises(AccountNotActive) as raised:
        core.transfer(TransferRequest(key(), card.account_id, demo.payee.card_number, demo.payee.name, 100))
    assert raised.value.code == "account_not_active"
    assert state(core, demo) == before
