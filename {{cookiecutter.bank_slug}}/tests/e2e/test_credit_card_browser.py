"""Credit cards in real Chromium through the simulator: the follower binds 张伟's credit card and his debit card
(the binding accepts a credit card: the core says its kind), asks 账单 in the chat, opens 信用卡还款 from the menu,
sees the statement with its spending, repays it in full from the debit card with the transaction PIN, and the
repayment's 动账提醒 reaches the chat as a WeChat notice card (delivered by the dispatcher `sandbox run` starts)."""

import re
from dataclasses import replace

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{cookiecutter.bank_slug}}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers, start_dispatcher
from {{cookiecutter.bank_slug}}.shared import demo_data

from ..binding_support import ZHANG, fill_binding_form, seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)
CREDIT_CARD = demo_data.credit_card_number(1)
BILLED = sum(amount for days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1]
             if days > demo_data.CREDIT_STATEMENT_DAYS_AGO)
OWED = sum(amount for _days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1])


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@pytest.fixture
def sandbox(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe", BANK_SHORT_NAME="测试农商银行", SERVICE_HOTLINE="96000",
                   ALERT_POLL_SECONDS="0.2")
    seed_demo(app)
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        stop, thread = start_dispatcher(app)
        try:
            yield live
        finally:
            stop.set()
            thread.join(timeout=10)


def _menu(phone, top: str, item: str) -> None:
    phone.get_by_test_id("menubar").get_by_role("button", name=top).click()
    phone.get_by_test_id("submenu").get_by_role("button", name=item).click()


def _bind(phone, card: str, last4: str, codes_before: int) -> None:
    _menu(phone, "账户", "绑定")
    frame = phone.frame_locator("[data-testid=webview-frame]")
    fill_binding_form(frame, replace(ZHANG, cards=(card,)))
    expect(phone.get_by_test_id("card-sms")).to_have_count(codes_before + 1)  # this binding's code arrived
    sms = phone.get_by_test_id("card-sms").last
    expect(sms).to_contain_text("验证码")
    code = re.search(r"验证码 (\d{6})", sms.inner_text()).group(1)
    frame.get_by_label("短信验证码").fill(code)
    frame.get_by_role("button", name="确认绑定").click()
    expect(frame.get_by_test_id("notice")).to_contain_text(last4)
    phone.get_by_test_id("webview-close").click()


def test_see_the_statement_and_repay_it(phone, sandbox, artifacts):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")

    # 1. bind the credit card, then the debit card that will repay it
    _bind(phone, CREDIT_CARD, CREDIT_CARD[-4:], codes_before=0)
    _bind(phone, ZHANG.cards[0], ZHANG.cards[0][-4:], codes_before=1)

    # 2. 账单 in the chat: the statement, masked
    phone.get_by_test_id("switch-mode").click()
    phone.get_by_test_id("text-input").fill("账单")
    phone.get_by_test_id("send").click()
    reply = phone.get_by_test_id("msg-in").last
    expect(reply).to_contain_text(f"本期应还 ¥{yuan(BILLED)}")
    expect(reply).to_contain_text("**** " + CREDIT_CARD[-4:])
    assert CREDIT_CARD not in reply.inner_text()
    phone.get_by_test_id("switch-mode").click()

    # 3. the menu's 信用卡还款: the card, then its statement with the period's spending
    _menu(phone, "理财/信用卡", "信用卡还款")
    frame = phone.frame_locator("[data-testid=webview-frame]")
    card = frame.get_by_test_id("credit-card")
    expect(card.get_by_test_id("owed")).to_have_text(f"¥ {yuan(OWED)}")
    expect(card.get_by_test_id("due-amount")).to_have_text(f"¥ {yuan(BILLED)}")
    card.get_by_test_id("statements-link").click()
    expect(frame.get_by_test_id("new-balance")).to_have_text(f"¥ {yuan(BILLED)}")
    expect(frame.get_by_test_id("statement-transactions").get_by_test_id("transaction").first).to_be_visible()
    phone.screenshot(path=artifacts / "credit-1-statement.png")

    # 4. repay it in full from the debit card with the PIN
    frame.get_by_test_id("repay-link").click()
    expect(frame.get_by_test_id("mode-full")).to_be_checked()
    frame.get_by_role("button", name="下一步").click()
    expect(frame.get_by_test_id("amount")).to_have_text(f"¥ {yuan(BILLED)}")
    expect(frame.get_by_test_id("pin-pad")).to_be_visible()  # the same shuffled keypad as transfers: no text field
    assert frame.locator("input[name=pin][type=password], input[name=pin][type=text]").count() == 0
    for digit in demo_data.DEMO_PIN:
        frame.locator(f"[data-testid=pin-pad] [data-digit='{digit}']").click()
    phone.screenshot(path=artifacts / "credit-2-confirm.png")
    frame.get_by_role("button", name="确认还款").click()
    expect(frame.get_by_test_id("outcome")).to_have_text("还款成功")
    expect(frame.get_by_test_id("owed-after")).to_have_text(f"¥ {yuan(OWED - BILLED)}")
    phone.screenshot(path=artifacts / "credit-3-result.png")
    frame.get_by_test_id("statement-link").click()
    expect(frame.get_by_test_id("remaining")).to_have_text("¥ 0.00")
    phone.get_by_test_id("webview-close").click()

    # 5. the ledger's alerts of the repayment reach the chat as notice cards, card numbers masked
    cards = phone.get_by_test_id("card-template").filter(has_text="信用卡还款")
    expect(cards).to_have_count(2, timeout=30_000)  # the debit card's and the credit card's
    text = "\n".join(cards.all_inner_texts())
    assert CREDIT_CARD not in text and ZHANG.cards[0] not in text
    on_card = cards.filter(has_text=CREDIT_CARD[-4:])
    fields = dict(zip(on_card.locator("dt").all_inner_texts(), on_card.locator("dd").all_inner_texts(), strict=True))
    credit_left = demo_data.CREDIT_CARDS[0][1] - (OWED - BILLED)
    assert fields["交易金额"] == f"¥{yuan(BILLED).replace(',', '')}", fields
    assert fields["可用余额"] == f"¥{yuan(credit_left).replace(',', '')}", fields  # a card's alert: the credit left
    phone.screenshot(path=artifacts / "credit-4-alerts.png")
