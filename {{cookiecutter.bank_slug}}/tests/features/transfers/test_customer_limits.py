"""Limits per customer across all their cards (two cards do not give twice the day's limit), the customer
lowering their own limits in H5 but never raising them, and racing transfers from both cards never passing the
customer's limit together."""

import threading

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.transfers.models import CustomerLimit

from .test_transfer_h5 import ALICE, CSRF, balances, browser, confirm, open_bank, orders, reason, submit

# Small limits, whatever the bake's answers: 200 yuan a transfer, 300 a day over all of a customer's cards.
LIMITS = {"SINGLE_TRANSFER_LIMIT_YUAN": "200", "DAILY_TRANSFER_LIMIT_YUAN": "1000",
          "CUSTOMER_DAILY_TRANSFER_LIMIT_YUAN": "300"}


@pytest.fixture
def small(make_app):
    with open_bank(make_app, **LIMITS) as bank:
        yield bank


def pay(service, bank, card: int, amount: str):
    placed, csrf, key = submit(service, bank, binding_id=str(bank.bindings[card]), amount=amount)
    if placed.status_code != 303:
        return placed
    return confirm(service, key, csrf)


def posted_total(bank) -> int:
    return sum(order.amount_fen for order in orders(bank) if order.status == "posted")


def test_the_customers_daily_limit_counts_every_card(small):
    service = browser(small)
    assert pay(service, small, 1, "200").status_code == 303
    refused = pay(service, small, 2, "150")  # card 2's own day is untouched, the customer's is not
    assert refused.status_code == 400
    assert "所有银行卡合计的日转账限额 300.00 元（今日剩余 100.00 元）" in reason(refused)
    assert pay(service, small, 2, "100").status_code == 303
    assert posted_total(small) == 30_000


def test_racing_transfers_from_both_cards_never_pass_the_customers_limit_together(small):
    placed = []
    for card in (1, 2, 1, 2, 1, 2):
        service = browser(small)
        response, csrf, key = submit(service, small, binding_id=str(small.bindings[card]), amount="100")
        assert response.status_code == 303
        placed.append((service, csrf, key))
    start = threading.Barrier(len(placed))

    def go(service, csrf, key):
        start.wait()
        confirm(service, key, csrf)

    threads = [threading.Thread(target=go, args=job) for job in placed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Claimed, then counted: each order counts every other one claimed before it looks, so orders that race may
    # all be refused, but never pass the customer's limit together (600 yuan were asked for, 300 is the limit).
    assert posted_total(small) <= 30_000
    assert {order.status for order in orders(small)} <= {"posted", "failed"}
    service = browser(small)  # once the race is over, what is left of the day can be used
    left = 30_000 - posted_total(small)
    if left:
        assert pay(service, small, 1, str(min(left, 20_000) // 100)).status_code == 303


def test_the_customer_lowers_limits_in_h5_and_they_apply_at_once(small):
    service = browser(small)
    page = service.get("/h5/transfer/limits").get_data(as_text=True)
    assert "200.00" in page and "300.00" in page
    csrf = CSRF.search(page).group(1)
    saved = service.post("/h5/transfer/limits", data={"csrf_token": csrf, "single": "50", "daily": "80.5"})
    assert saved.status_code == 303
    assert "已保存" in service.get(saved.headers["Location"]).get_data(as_text=True)
    with small.app.app_context():
        own = db.session.execute(select(CustomerLimit).where(CustomerLimit.openid == ALICE)).scalar_one()
        assert (own.single_fen, own.daily_fen, own.updated_by) == (5_000, 8_050, "customer")
    refused = pay(service, small, 1, "60")
    assert refused.status_code == 400 and "超过单笔转账限额 50.00 元" in reason(refused)
    assert "单笔限额 50.00 元" in service.get("/h5/transfer").get_data(as_text=True)


@pytest.mark.parametrize("single,daily,problem", [
    ("250", "300", "单笔限额只能调低（现为 200.00 元）"),
    ("100", "301", "日累计限额只能调低（现为 300.00 元）"),
    ("150", "100", "单笔限额不能高于日累计限额"),
    ("0", "100", "单笔限额必须大于 0"),
    ("abc", "100", "单笔限额"),
    ("10.001", "100", "单笔限额"),
    ("", "100", "单笔限额"),
])
def test_raising_or_bad_limits_are_refused_with_the_reason_and_nothing_changes(small, single, daily, problem):
    service = browser(small)
    csrf = CSRF.search(service.get("/h5/transfer/limits").get_data(as_text=True)).group(1)
    answer = service.post("/h5/transfer/limits", data={"csrf_token": csrf, "single": single, "daily": daily})
    assert answer.status_code == 400 and problem in reason(answer)
    with small.app.app_context():
        assert db.session.execute(select(CustomerLimit)).first() is None


def test_lowered_limits_cannot_be_raised_again_by_the_customer(small):
    service = browser(small)
    csrf = CSRF.search(service.get("/h5/transfer/limits").get_data(as_text=True)).group(1)
    assert service.post("/h5/transfer/limits", data={"csrf_token": csrf, "single": "50", "daily": "100"}
                        ).status_code == 303
    again = service.post("/h5/transfer/limits", data={"csrf_token": csrf, "single": "100", "daily": "100"})
    assert again.status_code == 400 and "网点" in reason(again)
    before = balances(small)
    assert pay(service, small, 1, "60").status_code == 400 and balances(small) == before
