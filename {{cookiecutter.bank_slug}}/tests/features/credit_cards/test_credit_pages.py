"""The credit-card pages end to end on the built-in ledger: the cards page, the statement with its transactions,
repaying full / minimum / an amount with the transaction PIN (the transfers' PIN guard), the result; every bad
input is a 4xx naming the field with nothing stored; a double submission makes one record and one posting."""

import re

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, Posting
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.transfers.models import PinGuard, TransferOrder
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card

from .support import (
    ALICE,
    BOB,
    WRONG_PIN,
    balances,
    confirm,
    customer,
    entries,
    error_of,
    open_bank,
    open_form,
    repayments,
    submit,
)

OWED = sum(amount for _days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1])
BILLED = sum(amount for days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1]
             if days > demo_data.CREDIT_STATEMENT_DAYS_AGO)
MINIMUM = max(-(-BILLED // 10), 10_000)


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@pytest.fixture
def bank(make_app):
    return open_bank(make_app)


def test_the_cards_page_and_the_statement_show_what_is_owed_masked(bank):
    client = customer(bank)
    page = client.get("/h5/credit").get_data(as_text=True)
    assert mask_card(bank.cards["c1"]) in page and bank.cards["c1"] not in page
    assert mask_card(bank.cards["c2"]) not in page  # Bob's card is not Alice's
    assert mask_card(bank.cards["d1"]) not in page  # a debit card is not a credit card
    assert f"¥ {yuan(OWED)}" in page and f"¥ {yuan(BILLED)}" in page and f"¥ {yuan(MINIMUM)}" in page
    statement = client.get(f"/h5/credit/{bank.bindings['c1']}/statements").get_data(as_text=True)
    assert f'data-testid="new-balance">¥ {yuan(BILLED)}' in statement
    billed = [(amount, merchant) for days, amount, merchant in demo_data.CREDIT_CARD_PURCHASES[1]
              if days > demo_data.CREDIT_STATEMENT_DAYS_AGO]
    for amount, merchant in billed[-2:]:  # the period's spending (the older ones went in earlier statements)
        assert merchant in statement and f"-{yuan(amount)}" in statement
    assert bank.cards["c1"] not in statement


def test_someone_elses_card_pages_are_not_found(bank):
    client = customer(bank)
    assert client.get(f"/h5/credit/{bank.bindings['c2']}/statements").status_code == 404
    assert client.get(f"/h5/credit/{bank.bindings['d1']}/statements").status_code == 404
    assert client.get(f"/h5/credit/{bank.bindings['c2']}/repay").status_code == 404
    assert client.get("/h5/credit/99999999999/repay").status_code == 404


def test_repaying_the_statement_in_full_end_to_end(bank):
    before = balances(bank)
    client = customer(bank)
    form = client.get(f"/h5/credit/{bank.bindings['c1']}/repay").get_data(as_text=True)
    assert mask_card(bank.cards["d1"]) in form and mask_card(bank.cards["d2"]) in form
    assert mask_card(bank.cards["d3"]) not in form  # only the customer's own debit cards pay
    placed, csrf, key = submit(client, bank)
    assert placed.status_code == 303 and placed.headers["Location"] == f"/h5/credit/repay/confirm/{key}"
    assert balances(bank) == before  # nothing moves before the PIN
    page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert yuan(BILLED) in page and 'data-testid="pin-pad"' in page and 'type="password"' not in page

    done = confirm(client, key, csrf)
    assert done.status_code == 303 and done.headers["Location"] == f"/h5/credit/repay/result/{key}"
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "还款成功" in result and f'data-testid="owed-after">¥ {yuan(OWED - BILLED)}' in result
    credit_limit = demo_data.CREDIT_CARDS[0][1]
    assert f'data-testid="available-after">¥ {yuan(credit_limit - OWED + BILLED)}' in result

    after = balances(bank)
    assert after[bank.accounts["d1"]] == before[bank.accounts["d1"]] - BILLED
    assert after[bank.accounts["c1"]] == before[bank.accounts["c1"]] + BILLED == -(OWED - BILLED)
    assert {a for a in after if after[a] != before[a]} == {bank.accounts["d1"], bank.accounts["c1"]}
    (order,) = repayments(bank)
    assert (order.status, order.amount_fen, order.mode, order.idempotency_key) == ("posted", BILLED, "full", key)
    with bank.app.app_context():  # double entry: one entry whose two postings sum to zero
        entry = db.session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == key))
        legs = db.session.execute(select(Posting.account_id, Posting.amount_fen)
                                  .where(Posting.entry_id == entry.id)).all()
    assert entry.kind == "credit_repayment"
    assert sorted(legs) == sorted([(bank.accounts["d1"], -BILLED), (bank.accounts["c1"], BILLED)])

    again = confirm(client, key, csrf)  # a double tap after the fact
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/result/{key}")
    assert balances(bank) == after and len(repayments(bank)) == 1
    statement = client.get(f"/h5/credit/{bank.bindings['c1']}/statements").get_data(as_text=True)
    assert 'data-testid="remaining">¥ 0.00' in statement and 'data-status="posted"' in statement


@pytest.mark.parametrize(("mode", "amount", "expected"), [
    ("minimum", "", MINIMUM), ("amount", "88.08", 8_808), ("amount", "1,000.5", 100_050), ("amount", yuan(OWED),
                                                                                            OWED)])
def test_minimum_and_typed_amounts(bank, mode, amount, expected):
    client = customer(bank)
    placed, csrf, key = submit(client, bank, mode=mode, amount=amount)
    assert placed.status_code == 303, error_of(placed)
    confirm(client, key, csrf)
    (order,) = repayments(bank)
    assert (order.status, order.amount_fen) == ("posted", expected)
    assert balances(bank)[bank.accounts["c1"]] == -(OWED - expected)


@pytest.mark.parametrize(("fields", "field", "status"), [
    ({"mode": "amount", "amount": yuan(OWED + 1)}, "amount", 400),  # a fen above what is owed
    ({"mode": "amount", "amount": "1.234"}, "amount", 400),  # not fen-exact
    ({"mode": "amount", "amount": "0"}, "amount", 400),
    ({"mode": "amount", "amount": "-5"}, "amount", 400),
    ({"mode": "amount", "amount": "abc"}, "amount", 400),
    ({"mode": "amount", "amount": "9" * 40}, "amount", 400),
    ({"mode": "amount", "amount": ""}, "amount", 400),
    ({"mode": "everything"}, "mode", 400),
    ({"from_card": "d3"}, "from_card", 403),  # Bob's debit card
    ({"from_card": "c1"}, "from_card", 403),  # a credit card cannot repay
    ({"from_card": "x"}, "from_card", 403),
])
def test_bad_input_is_refused_naming_the_field_with_nothing_stored(bank, fields, field, status):
    client = customer(bank)
    before = balances(bank), entries(bank)
    if fields.get("from_card") in bank.bindings:
        fields = {**fields, "from_card": str(bank.bindings[fields["from_card"]])}
    refused, _csrf, _key = submit(client, bank, **fields)
    assert refused.status_code == status
    named, reason = error_of(refused)
    assert named == field and reason
    assert repayments(bank) == [] and (balances(bank), entries(bank)) == before


def test_repaying_someone_elses_credit_card_is_refused(bank):
    client = customer(bank)
    csrf, key = open_form(client, bank)
    response = client.post(f"/h5/credit/{bank.bindings['c2']}/repay", data={
        "csrf_token": csrf, "idempotency_key": key, "from_card": str(bank.bindings["d1"]), "mode": "full"})
    assert response.status_code == 403
    assert repayments(bank) == []


def test_a_double_submission_makes_one_record_and_one_posting(bank):
    client = customer(bank)
    first, csrf, key = submit(client, bank, mode="amount", amount="10.00")
    second, _, _ = submit(client, bank, csrf=csrf, key=key, mode="amount", amount="10.00")
    assert first.headers["Location"] == second.headers["Location"]
    other, _, _ = submit(client, bank, csrf=csrf, key=key, mode="amount", amount="10.01")
    assert other.status_code == 409  # the same key for something else
    confirm(client, key, csrf)
    confirm(client, key, csrf)
    (order,) = repayments(bank)
    assert order.status == "posted"
    with bank.app.app_context():
        assert db.session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == key)) is not None
    assert balances(bank)[bank.accounts["c1"]] == -(OWED - 1_000)


def test_another_customers_key_is_not_found(bank):
    client = customer(bank)
    _placed, csrf, key = submit(client, bank)
    bob = customer(bank, BOB)
    assert bob.get(f"/h5/credit/repay/confirm/{key}").status_code == 404
    assert bob.get(f"/h5/credit/repay/result/{key}").status_code == 404


def test_wrong_pins_count_in_the_transfers_pin_guard(bank):
    client = customer(bank)
    _placed, csrf, key = submit(client, bank)
    before = balances(bank)
    wrong = confirm(client, key, csrf, pin=WRONG_PIN)
    assert wrong.status_code == 400 and "交易密码错误" in wrong.get_data(as_text=True)
    malformed = confirm(client, key, csrf, pin="12ab")
    assert malformed.status_code == 400
    with bank.app.app_context():
        assert db.session.scalar(select(PinGuard.failures).where(PinGuard.account_id == bank.accounts["d1"])) == 1
    for _ in range(2):
        confirm(client, key, csrf, pin=WRONG_PIN)
    page = client.get(f"/h5/credit/repay/confirm/{key}").get_data(as_text=True)
    assert 'name="captcha"' in page  # the third wrong PIN in a row asks for the captcha, as for transfers
    assert balances(bank) == before and repayments(bank)[0].status == "awaiting_pin"


def test_a_card_owing_nothing_cannot_be_repaid(bank):
    client = customer(bank)
    _placed, csrf, key = submit(client, bank, mode="amount", amount=yuan(OWED))
    confirm(client, key, csrf)
    refused, _, _ = submit(client, bank, mode="amount", amount="1.00")
    assert refused.status_code == 400 and error_of(refused)[0] == "card"
    assert balances(bank)[bank.accounts["c1"]] == 0


def test_without_a_bound_credit_card_the_page_offers_binding(bank, make_app):
    client = customer(bank, "oNobody000000000000000000009")
    page = client.get("/h5/credit")
    assert page.status_code == 200 and 'data-testid="no-credit-cards"' in page.get_data(as_text=True)
    assert ALICE  # the demo customer stays bound


def test_a_credit_card_never_pays_a_transfer(bank):
    client = customer(bank)
    page = client.get("/h5/transfer").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    before = balances(bank), entries(bank)
    refused = client.post("/h5/transfer", data={
        "csrf_token": csrf, "idempotency_key": key, "binding_id": str(bank.bindings["c1"]),
        "payee_number": bank.cards["d3"], "payee_name": "李娜", "payee_bank": "", "amount": "10.00", "memo": ""})
    assert refused.status_code == 400 and "信用卡不能用于转账" in refused.get_data(as_text=True)
    with bank.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TransferOrder)) == 0
    assert (balances(bank), entries(bank)) == before
