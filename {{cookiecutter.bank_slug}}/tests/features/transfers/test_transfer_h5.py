"""Transfers end to end: the customer logs in through the mock WeChat OAuth2, fills the form, confirms
with the transaction PIN, and the built-in ledger posts it; the outcome is an outbox notice, delivered by
`flask alerts drain` as the mock's transfer-result template message (never by WeChat during the PIN request).
Every bad input is a Chinese page with nothing posted."""

import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from {{ cookiecutter.bank_slug }} import settings
from {{ cookiecutter.bank_slug }}.core_banking.current import get_core
from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import SETTLEMENT_ACCOUNT_ID
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount, Posting, card_key
from {{ cookiecutter.bank_slug }}.core_banking.port import CoreUnavailable
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.transfers import captcha as captcha_check
from {{ cookiecutter.bank_slug }}.features.transfers import pin_guard
from {{ cookiecutter.bank_slug }}.features.transfers.models import PinGuard, TransferOrder
from {{ cookiecutter.bank_slug }}.outbox.models import Notice
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.cards import with_check_digit
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card, mask_name
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...h5.test_h5_oauth import authorize, callback_path, log_in
from ...helpers import free_port, next_msg_id, push, reply_field
from ...live_sandbox import live_sandbox

ALICE = "oAliceXfer000000000000000001"  # 张伟: cards 1 (50,000.00) and 2 (1,288.00)
BOB = "oBobXfer00000000000000000002"  # 李娜: card 3 (23,456.00)
PIN = demo_data.DEMO_PIN
WRONG_PIN = "000000" if PIN != "000000" else "111111"
OTHER_BANK_CARD = with_check_digit("621700000000000001")  # 19 digits, Luhn-valid, not a card of this bank
UNKNOWN_CARD = with_check_digit("622848999999999999")  # this bank's BIN, Luhn-valid, no such account
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@dataclass
class Bank:
    live: object
    cards: dict  # serial -> full card number
    accounts: dict  # serial -> ledger account id
    bindings: dict  # serial -> binding id

    @property
    def app(self):
        return self.live.service


@pytest.fixture
def bank(make_app):
    with open_bank(make_app) as opened:
        yield opened


# The fraud rules and the new-payee limit out of the way (tests of them set their own: test_transfer_safety.py);
# a test's cards are bound a moment ago and it may run at night, which the rules would rightly hold.
RULES_APART = {"NEW_PAYEE_LIMIT_YUAN": "100000000", "FRAUD_NIGHT_AMOUNT_YUAN": "100000000",
               "FRAUD_NEW_BINDING_AMOUNT_YUAN": "100000000", "FRAUD_NEW_PAYEES_COUNT": "1000"}


@contextmanager
def open_bank(make_app, **config):
    """The demo bank in a live sandbox: 张伟 (ALICE) with cards 1 and 2 bound, 李娜 (BOB) with card 3."""
    app = make_app(BANK_SHORT_NAME="测试银行", SERVICE_HOTLINE="96000", **{**RULES_APART, **config})
    with live_sandbox(app) as live:
        live.state.add_user(ALICE, "爱丽丝")
        live.state.add_user(BOB, "鲍勃")
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        cards = {serial: demo_data.card_number(serial) for serial in (1, 2, 3)}
        with app.app_context():
            accounts = {serial: db.session.scalar(select(LedgerAccount.account_id)
                                                   .where(LedgerAccount.card_number_hash == card_key(card)))
                        for serial, card in cards.items()}
            bindings = {}
            for serial, openid in ((1, ALICE), (2, ALICE), (3, BOB)):
                binding = CardBinding(openid=openid, account_id=accounts[serial], card_mask=mask_card(cards[serial]),
                                      status="active", alerts_suspended=False)
                db.session.add(binding)
                db.session.flush()
                bindings[serial] = binding.id
            db.session.commit()
        yield Bank(live, cards, accounts, bindings)


def browser(bank: Bank, openid: str = ALICE):
    """A customer's browser, identified through the mock OAuth2."""
    service = bank.app.test_client()
    done = log_in(service, bank.live.mock.test_client(), openid, "/h5/transfer")
    assert done.status_code == 302 and done.headers["Location"] == "/h5/transfer"
    return service


def balances(bank: Bank) -> dict:
    with bank.app.app_context():
        return dict(db.session.execute(select(LedgerAccount.account_id, LedgerAccount.balance_fen)).all())


def orders(bank: Bank) -> list[TransferOrder]:
    with bank.app.app_context():
        found = list(db.session.execute(select(TransferOrder).order_by(TransferOrder.id)).scalars())
        db.session.expunge_all()
        return found


def journal_entries(bank: Bank) -> int:
    with bank.app.app_context():
        return db.session.scalar(select(func.count(JournalEntry.id)))


def custom_messages(bank: Bank, openid: str = ALICE) -> list[str]:
    return [r.payload["text"]["content"] for r in bank.live.state.records_since(0, "custom", openid)]


def outcome_notices(bank: Bank, openid: str = ALICE) -> list[dict]:
    """Deliver the outbox (`flask alerts drain`); the transfer-result template messages the mock got for
    `openid`, keyword -> value, plus "rendered" (the message as the customer's WeChat shows it)."""
    drained = bank.app.test_cli_runner().invoke(args=["alerts", "drain"])
    assert drained.exit_code == 0, drained.output
    assert custom_messages(bank, openid) == []  # a notice goes as a template message, never also as 客服消息
    template_id = bank.app.config["TRANSFER_TEMPLATE_ID"]
    return [{**{keyword: value["value"] for keyword, value in r.payload["data"].items()},
             "rendered": r.extra["rendered"]}
            for r in bank.live.state.records_since(0, "template", openid) if r.payload["template_id"] == template_id]


def open_form(service) -> tuple[str, str]:
    page = service.get("/h5/transfer")
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    return CSRF.search(text).group(1), KEY.search(text).group(1)


def fill(bank: Bank, csrf: str, key: str, **fields) -> dict:
    form = {"csrf_token": csrf, "idempotency_key": key, "binding_id": str(bank.bindings[1]),
            "payee_number": bank.cards[3], "payee_name": "李娜", "payee_bank": "", "amount": "123.45", "memo": "午饭"}
    form.update(fields)
    return {name: value for name, value in form.items() if value is not None}


def submit(service, bank: Bank, *, warning: bool = False, **fields):
    """Place the order; a first transfer to a payee shows the anti-fraud warning, acknowledged here unless
    `warning` (then the answer is the redirect to it)."""
    csrf, key = open_form(service)
    placed = service.post("/h5/transfer", data=fill(bank, csrf, key, **fields))
    if not warning and placed.status_code == 303 and placed.headers["Location"] == f"/h5/transfer/warning/{key}":
        placed = acknowledge(service, key, csrf)
    return placed, csrf, key


def acknowledge(service, key: str, csrf: str):
    return service.post(f"/h5/transfer/warning/{key}", data={"csrf_token": csrf, "understood": "1"})


def confirm(service, key: str, csrf: str, pin: str = PIN, **extra):
    return service.post(f"/h5/transfer/confirm/{key}", data={"csrf_token": csrf, "pin": pin, **extra})


def reason(response) -> str:
    text = response.get_data(as_text=True)
    found = re.search(r'data-testid="(?:error|reason)">([^<]*)<', text)
    return found.group(1) if found else text


def pin_failures(bank: Bank, serial: int = 1) -> int:
    with bank.app.app_context():
        return db.session.scalar(select(PinGuard.failures).where(PinGuard.account_id == bank.accounts[serial])) or 0


# -- the happy paths ---------------------------------------------------------------------------------
def test_a_transfer_inside_the_bank_end_to_end(bank):
    before = balances(bank)
    service = browser(bank)
    form = service.get("/h5/transfer").get_data(as_text=True)
    assert mask_card(bank.cards[1]) in form and bank.cards[1] not in form
    assert mask_card(bank.cards[3]) not in form  # Bob's card is not offered to Alice
    limit = bank.app.config["SINGLE_TRANSFER_LIMIT_FEN"] // 100
    assert f"单笔限额 {limit:,}.00 元" in form and "最多 10 笔" in form

    placed, csrf, key = submit(service, bank)
    assert placed.status_code == 303 and placed.headers["Location"] == f"/h5/transfer/confirm/{key}"
    page = service.get(f"/h5/transfer/confirm/{key}").get_data(as_text=True)
    assert mask_card(bank.cards[3]) in page and mask_name("李娜") in page and "123.45" in page
    assert bank.cards[3] not in page and "李娜" not in page
    assert 'data-testid="pin-pad"' in page and 'type="password"' not in page and 'name="captcha"' not in page
    assert '<input type="hidden" name="pin" value=""' in page  # the keypad fills it; never a text field
    assert balances(bank) == before  # nothing moves before the PIN

    done = confirm(service, key, csrf)
    assert done.status_code == 303 and done.headers["Location"] == f"/h5/transfer/result/{key}"
    assert bank.live.state.records_since(0, "custom") == []  # the PIN request sent WeChat nothing
    result = service.get(done.headers["Location"]).get_data(as_text=True)
    assert "转账成功" in result and "123.45" in result

    after = balances(bank)
    assert after[bank.accounts[1]] == before[bank.accounts[1]] - 12345
    assert after[bank.accounts[3]] == before[bank.accounts[3]] + 12345
    assert {a for a in after if after[a] != before[a]} == {bank.accounts[1], bank.accounts[3]}
    assert sum(after.values()) == sum(before.values())
    (order,) = orders(bank)
    assert (order.status, order.amount_fen, order.idempotency_key) == ("posted", 12345, key)
    with bank.app.app_context():  # double entry: the entry's postings sum to zero
        entry = db.session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == key))
        legs = db.session.execute(select(Posting.account_id, Posting.amount_fen)
                                  .where(Posting.entry_id == entry.id)).all()
    assert sorted(legs) == sorted([(bank.accounts[1], -12345), (bank.accounts[3], 12345)])

    (notice,) = outcome_notices(bank)
    assert notice["phrase3"] == "转账成功" and notice["amount2"] == "¥123.45" and notice["thing1"] == mask_name("李娜")
    assert notice["character_string5"] == bank.cards[1][-4:]
    message = notice["rendered"]
    assert bank.cards[3] not in message and "李娜" not in message and PIN not in message


def test_to_another_bank_is_processing_through_the_settlement_account(bank):
    before = balances(bank)
    service = browser(bank)
    placed, csrf, key = submit(service, bank, payee_number=OTHER_BANK_CARD, payee_name="赵六", payee_bank="ICBC",
                               amount="1000")
    assert placed.status_code == 303
    assert "中国工商银行" in service.get(placed.headers["Location"]).get_data(as_text=True)
    result = service.get(confirm(service, key, csrf).headers["Location"]).get_data(as_text=True)
    assert "处理中" in result and "以收款银行为准" in result
    after = balances(bank)
    assert after[bank.accounts[1]] == before[bank.accounts[1]] - 100000
    assert after[SETTLEMENT_ACCOUNT_ID] == before.get(SETTLEMENT_ACCOUNT_ID, 0) + 100000
    assert orders(bank)[0].status == "pending_settlement"
    assert outcome_notices(bank)[0]["phrase3"] == "转账已受理"


def test_a_double_tap_or_a_retried_request_posts_once(bank):
    before = balances(bank)
    service = browser(bank)
    csrf, key = open_form(service)
    form = fill(bank, csrf, key)
    first, second = service.post("/h5/transfer", data=form), service.post("/h5/transfer", data=form)
    assert first.headers["Location"] == second.headers["Location"] == f"/h5/transfer/warning/{key}"  # new payee
    assert acknowledge(service, key, csrf).headers["Location"] == f"/h5/transfer/confirm/{key}"
    assert confirm(service, key, csrf).status_code == 303
    again = confirm(service, key, csrf)
    assert again.status_code == 303 and again.headers["Location"] == f"/h5/transfer/result/{key}"
    retried = service.post("/h5/transfer", data=form)  # the whole form sent again after it was posted
    assert retried.status_code == 303
    assert service.get(f"/h5/transfer/confirm/{key}").headers["Location"] == f"/h5/transfer/result/{key}"

    assert balances(bank)[bank.accounts[1]] == before[bank.accounts[1]] - 12345
    demo_purchases = sum(len(purchases) for purchases in demo_data.CREDIT_CARD_PURCHASES.values())
    assert len(orders(bank)) == 1 and journal_entries(bank) == len(demo_data.ACCOUNTS) + demo_purchases + 1
    assert len(outcome_notices(bank)) == 1

    changed = service.post("/h5/transfer", data={**form, "amount": "200"})  # same key, other content
    assert changed.status_code == 409 and "内容不同" in reason(changed)
    assert len(orders(bank)) == 1


def test_wechat_being_down_does_not_touch_the_pin_request(bank):
    service = browser(bank)
    placed, csrf, key = submit(service, bank)
    settings.update(bank.app, WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}")
    done = confirm(service, key, csrf)
    assert done.status_code == 303
    assert "转账成功" in service.get(done.headers["Location"]).get_data(as_text=True)
    assert orders(bank)[0].status == "posted"
    with bank.app.app_context():  # the notice waits in the outbox for the dispatcher
        notice = db.session.scalar(select(Notice).where(Notice.topic == "transfer_outcome"))
        assert notice.state == "pending" and notice.openid == ALICE


# -- the PIN ---------------------------------------------------------------------------------------------
def test_three_wrong_pins_ask_for_a_captcha_five_lock_the_card(bank, monkeypatch):
    before = balances(bank)
    service = browser(bank)
    placed, csrf, key = submit(service, bank)
    for left in (4, 3):
        wrong = confirm(service, key, csrf, WRONG_PIN)
        assert wrong.status_code == 400 and f"还可尝试 {left} 次" in reason(wrong)
        assert 'name="captcha"' not in wrong.get_data(as_text=True)
    third = confirm(service, key, csrf, WRONG_PIN)
    assert third.status_code == 400 and "图形验证码" in reason(third)
    assert 'name="captcha"' in third.get_data(as_text=True) and pin_failures(bank) == 3

    no_captcha = confirm(service, key, csrf, PIN)  # even the right PIN needs the captcha now
    assert no_captcha.status_code == 400 and "图形验证码错误" in reason(no_captcha)
    assert pin_failures(bank) == 3 and balances(bank) == before

    monkeypatch.setattr(captcha_check, "new_answer", lambda: "AC34")
    image = service.get("/h5/transfer/captcha.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"
    with service.session_transaction() as session:
        assert "AC34" not in str(dict(session)) and PIN not in str(dict(session))
    fourth = confirm(service, key, csrf, WRONG_PIN, captcha="ac34")
    assert "还可尝试 1 次" in reason(fourth) and pin_failures(bank) == 4
    reused = confirm(service, key, csrf, WRONG_PIN, captcha="ac34")  # an answer is good for one try
    assert "图形验证码错误" in reason(reused) and pin_failures(bank) == 4

    service.get("/h5/transfer/captcha.png")
    fifth = confirm(service, key, csrf, WRONG_PIN, captcha="AC34")
    assert fifth.status_code == 423 and "已锁定 30 分钟" in reason(fifth)
    service.get("/h5/transfer/captcha.png")
    locked = confirm(service, key, csrf, PIN, captcha="AC34")  # the right PIN does not open a locked card
    assert locked.status_code == 423 and "已锁定" in reason(locked)
    assert "已锁定" in service.get(f"/h5/transfer/confirm/{key}").get_data(as_text=True)
    other_card, csrf2, key2 = submit(service, bank, binding_id=str(bank.bindings[2]), amount="1")
    assert other_card.status_code == 303  # the lock is per card
    assert balances(bank) == before and orders(bank)[0].status == "awaiting_pin"
    assert custom_messages(bank) == []

    with bank.app.app_context():  # 30 minutes later
        db.session.execute(update(PinGuard).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert 'name="captcha"' in service.get(f"/h5/transfer/confirm/{key}").get_data(as_text=True)
    service.get("/h5/transfer/captcha.png")
    after_lock = confirm(service, key, csrf, WRONG_PIN, captcha="AC34")  # the count starts again at 3
    assert "还可尝试 1 次" in reason(after_lock) and pin_failures(bank) == 4
    service.get("/h5/transfer/captcha.png")
    done = confirm(service, key, csrf, PIN, captcha="AC34")
    assert done.status_code == 303 and pin_failures(bank) == 0
    assert balances(bank)[bank.accounts[1]] == before[bank.accounts[1]] - 12345


def test_a_right_pin_resets_the_count(bank):
    service = browser(bank)
    placed, csrf, key = submit(service, bank)
    confirm(service, key, csrf, WRONG_PIN)
    confirm(service, key, csrf, WRONG_PIN)
    assert pin_failures(bank) == 2
    assert confirm(service, key, csrf, PIN).status_code == 303
    assert pin_failures(bank) == 0 and orders(bank)[0].status == "posted"


def test_parallel_pin_attempts_cannot_exceed_five(bank):
    with bank.app.app_context():  # each attempt is counted before its PIN is compared
        now = utcnow()
        attempts = [pin_guard.begin_attempt(bank.accounts[1], now, 30) for _ in range(7)]
        assert pin_guard.pin_status(bank.accounts[1], now).locked
    assert attempts == [1, 2, 3, 4, 5, None, None]


@pytest.mark.parametrize("pin", ["12345", "1234567", "abcdef", ""])
def test_a_malformed_pin_is_refused_without_counting(bank, pin):
    service = browser(bank)
    placed, csrf, key = submit(service, bank)
    response = confirm(service, key, csrf, pin)
    assert response.status_code == 400 and "6 位数字" in reason(response)
    assert pin_failures(bank) == 0 and orders(bank)[0].status == "awaiting_pin"


# -- bad input: a Chinese page, nothing posted -------------------------------------------------------
@pytest.mark.parametrize("fields,status,text", [
    ({"payee_number": "6228480000000000019"}, 400, "校验不通过"),  # Luhn fails
    ({"payee_number": "6228-48abc"}, 400, "8 至 32 位数字"),
    ({"payee_number": ""}, 400, "请输入收款账号"),
    ({"amount": "1.234"}, 400, "两位小数"),
    ({"amount": "-5"}, 400, "负数"),
    ({"amount": "0"}, 400, "大于 0"),
    ({"amount": "0.00"}, 400, "大于 0"),
    ({"amount": "12abc"}, 400, "格式不正确"),
    ({"amount": "9" * 40}, 400, "过长"),
    ({"amount": "5000.01"}, 400, "单笔转账限额"),
    ({"payee_name": ""}, 400, "户名"),
    ({"payee_name": "名" * 31}, 400, "户名最多"),
    ({"memo": "言" * 21}, 400, "附言最多"),
    ({"payee_bank": "NOWHERE"}, 400, "收款银行"),
    ({"binding_id": "abc"}, 403, "不是您已绑定"),
    ({"binding_id": ""}, 403, "不是您已绑定"),
    ({"idempotency_key": "short"}, 400, "页面已失效"),
])
def test_bad_form_input_is_refused(bank, fields, status, text):
    before = balances(bank)
    response, _, _ = submit(browser(bank), bank, **fields)
    assert response.status_code == status and text in reason(response)
    assert "Traceback" not in response.get_data(as_text=True)
    assert orders(bank) == [] and balances(bank) == before


def test_the_card_number_is_luhn_checked(bank):
    good = bank.cards[3]
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response, _, _ = submit(browser(bank), bank, payee_number=bad)
    assert response.status_code == 400 and "校验不通过" in reason(response) and orders(bank) == []


def test_transfer_to_the_same_card_is_refused(bank):
    before = balances(bank)
    response, _, _ = submit(browser(bank), bank, payee_number=bank.cards[1], payee_name="张伟")
    assert response.status_code == 400 and "不能向本账户转账" in reason(response)
    assert orders(bank) == [] and balances(bank) == before


def test_another_customers_card_injected_into_the_form_is_refused(bank):
    before = balances(bank)
    service = browser(bank)
    for injected in (str(bank.bindings[3]), bank.accounts[3], bank.cards[3], "999999"):
        response, _, _ = submit(service, bank, binding_id=injected, payee_number=bank.cards[1], payee_name="张伟")
        assert response.status_code == 403 and "不是您已绑定的银行卡" in reason(response)
    assert orders(bank) == [] and balances(bank) == before


def test_another_customers_order_cannot_be_confirmed_or_seen(bank):
    alice = browser(bank)
    placed, csrf, key = submit(alice, bank)
    bob = browser(bank, BOB)
    bob_csrf, _ = open_form(bob)
    assert bob.get(f"/h5/transfer/confirm/{key}").status_code == 404
    assert bob.post(f"/h5/transfer/confirm/{key}", data={"csrf_token": bob_csrf, "pin": PIN}).status_code == 404
    assert bob.get(f"/h5/transfer/result/{key}").status_code == 404
    stolen = bob.post("/h5/transfer", data=fill(bank, bob_csrf, key, binding_id=str(bank.bindings[3]),
                                                 payee_number=bank.cards[1], payee_name="张伟"))
    assert stolen.status_code == 409
    assert [order.status for order in orders(bank)] == ["awaiting_pin"]


def test_missing_csrf_token_is_a_chinese_400(bank):
    before = balances(bank)
    service = browser(bank)
    csrf, key = open_form(service)
    response = service.post("/h5/transfer", data={**fill(bank, csrf, key), "csrf_token": ""})
    assert response.status_code == 400 and "安全校验未通过" in reason(response)
    assert orders(bank) == []

    placed = service.post("/h5/transfer", data=fill(bank, csrf, key))
    assert placed.status_code == 303
    response = service.post(f"/h5/transfer/confirm/{key}", data={"pin": PIN})
    assert response.status_code == 400 and "安全校验未通过" in reason(response)
    assert orders(bank)[0].status == "awaiting_pin" and balances(bank) == before


@pytest.mark.parametrize("daily_used,count_used,amount,text", [
    (1_995_000, 1, "100", "日累计转账限额"),  # 19,950 yuan already today + 100 > 20,000
    (10, 10, "1", "笔上限"),
])
def test_the_days_limits_count_todays_transfers(bank, daily_used, count_used, amount, text):
    with bank.app.app_context():
        for n in range(count_used):
            db.session.add(TransferOrder(
                idempotency_key=f"earlier-today-{n:04d}-xxxxxx", openid=ALICE, binding_id=bank.bindings[1],
                from_account_id=bank.accounts[1], from_card_masked="x", payee_number=bank.cards[3],
                payee_name="李娜", payee_bank="", amount_fen=daily_used // count_used, memo="", status="posted",
                submitted_at=utcnow()))
        db.session.commit()
    before = balances(bank)
    response, _, _ = submit(browser(bank), bank, amount=amount)
    assert response.status_code == 400 and text in reason(response)
    assert len(orders(bank)) == count_used and balances(bank) == before


def test_transfers_of_yesterday_and_failed_ones_do_not_count(bank):
    single_fen = bank.app.config["SINGLE_TRANSFER_LIMIT_FEN"]
    daily_fen = bank.app.config["DAILY_TRANSFER_LIMIT_FEN"]
    with bank.app.app_context():
        for n, (status, days_ago) in enumerate([("posted", 1), ("failed", 0), ("awaiting_pin", 0)]):
            db.session.add(TransferOrder(
                idempotency_key=f"not-counted-{n:04d}-xxxxxxxx", openid=ALICE, binding_id=bank.bindings[1],
                from_account_id=bank.accounts[1], from_card_masked="x", payee_number=bank.cards[3],
                payee_name="李娜", payee_bank="", amount_fen=daily_fen, memo="", status=status,
                submitted_at=utcnow() - timedelta(days=days_ago)))
        db.session.commit()
    # each of those alone would use up today's limit; the baked limits differ from bank to bank
    response, _, _ = submit(browser(bank), bank, amount=str(min(single_fen, 500_000) // 100))
    assert response.status_code == 303


@pytest.mark.parametrize("fields,text", [
    ({"payee_number": UNKNOWN_CARD}, "收款账户信息有误，请核对户名与账号"),  # one refusal for both kinds
    ({"payee_name": "王五"}, "收款账户信息有误，请核对户名与账号"),
    ({"binding_id": "card2", "amount": "2000"}, "可用余额不足"),
])
def test_the_cores_refusals_are_shown_in_chinese_and_post_nothing(bank, fields, text):
    if fields.get("binding_id") == "card2":
        fields = {**fields, "binding_id": str(bank.bindings[2])}
    before = balances(bank)
    entries = journal_entries(bank)
    service = browser(bank)
    placed, csrf, key = submit(service, bank, **fields)
    assert placed.status_code == 303
    done = confirm(service, key, csrf)
    result = service.get(done.headers["Location"])
    assert result.status_code == 200 and "转账失败" in result.get_data(as_text=True) and text in reason(result)
    assert balances(bank) == before and journal_entries(bank) == entries
    (order,) = orders(bank)
    assert order.status == "failed" and text in order.failure_message
    (notice,) = outcome_notices(bank)
    assert notice["phrase3"] == "转账失败"
    with bank.app.app_context():
        stored = db.session.scalar(select(Notice.payload).where(Notice.topic == "transfer_outcome"))
    assert text in stored  # the reason, for the SMS / customer-service text


def test_a_core_that_does_not_answer_leaves_the_transfer_unconfirmed_not_failed(bank, monkeypatch):
    before = balances(bank)
    service = browser(bank)
    placed, csrf, key = submit(service, bank)

    def unreachable(request):
        raise CoreUnavailable()

    with bank.app.app_context():
        monkeypatch.setattr(get_core(), "transfer", unreachable)
    result = service.get(confirm(service, key, csrf).headers["Location"]).get_data(as_text=True)
    assert "处理中" in result and "切勿重复转账" in result and "转账失败" not in result
    assert orders(bank)[0].status == "unconfirmed" and balances(bank) == before
    assert outcome_notices(bank)[0]["phrase3"] == "处理中"


def test_an_expired_oauth_code_is_refused_and_nothing_is_posted(bank):
    before = balances(bank)
    service = bank.app.test_client()
    start = service.get("/h5/transfer")
    assert start.status_code == 302
    callback = authorize(bank.live.mock.test_client(), start.headers["Location"], ALICE)
    issued = time.time()
    bank.live.state.clock = lambda: issued + bank.live.state.settings.oauth_code_ttl_seconds + 1
    response = service.get(callback_path(callback))
    assert response.status_code == 400 and "已过期" in response.get_data(as_text=True)
    posted = service.post("/h5/transfer", data={"binding_id": str(bank.bindings[1]), "payee_number": bank.cards[3],
                                                "payee_name": "李娜", "amount": "1"})
    assert posted.status_code == 400  # no session, so no CSRF token either: refused before anything else
    assert service.get("/h5/transfer").status_code == 302
    assert urlsplit(service.get("/h5/transfer").headers["Location"]).path == "/connect/oauth2/authorize"
    assert orders(bank) == [] and balances(bank) == before


def test_a_customer_without_a_card_is_sent_to_bind(bank):
    with bank.app.app_context():
        db.session.execute(update(CardBinding).where(CardBinding.openid == BOB).values(status="unbound"))
        db.session.commit()
    page = browser(bank, BOB).get("/h5/transfer")
    assert page.status_code == 200 and "请先绑定银行卡" in page.get_data(as_text=True)


# -- the hall and the chat -----------------------------------------------------------------------------
def test_the_hall_offers_transfers_and_the_keyword_answers_with_the_link(bank):
    hall = browser(bank).get("/h5/").get_data(as_text=True)
    tile = re.search(r'data-service="transfer">(.*?)</a>', hall, re.S).group(1)
    assert "即将开通" not in tile
    client, pusher = bank.app.test_client(), WeChatPusher.from_config(bank.app.config)
    for keyword in ("转账", "汇款"):
        _, reply = push(client, pusher, text_message(ALICE, keyword, next_msg_id()))
        content = reply_field(reply, "Content")
        assert f'href="{bank.app.config["PUBLIC_BASE_URL"]}/h5/transfer"' in content and "即将开通" not in content
