"""The demo's whole journey in real Chromium, as `make demo` runs it: the follower binds a card in the simulator,
transfers to another customer with the transaction PIN, and the 动账提醒 the ledger wrote reaches the payer's chat
as a WeChat notice card, delivered by the dispatcher that `sandbox run` starts (no test code drains the outbox)."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{cookiecutter.bank_slug}}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers, start_dispatcher
from {{cookiecutter.bank_slug}}.shared import demo_data

from ..binding_support import LI, ZHANG, fill_binding_form, seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)
LAST4 = ZHANG.cards[0][-4:]


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


def test_bind_transfer_and_the_alert_card_arrives(phone, sandbox, artifacts):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")

    # 1. bind 张伟's first card with the SMS code that arrives as a 短信 card
    _menu(phone, "账户", "绑定")
    frame = phone.frame_locator("[data-testid=webview-frame]")
    fill_binding_form(frame, ZHANG)
    sms = phone.get_by_test_id("card-sms")
    expect(sms).to_contain_text("验证码")
    code = re.search(r"验证码 (\d{6})", sms.inner_text()).group(1)
    frame.get_by_label("短信验证码").fill(code)
    frame.get_by_role("button", name="确认绑定").click()
    expect(frame.get_by_test_id("notice")).to_contain_text("绑定成功：6228 **** **** " + LAST4)
    phone.get_by_test_id("webview-close").click()

    # 2. transfer ¥123.45 to 李娜 with the transaction PIN
    _menu(phone, "账户", "转账")
    frame = phone.frame_locator("[data-testid=webview-frame]")
    frame.get_by_label("户名").fill(LI.name)
    frame.get_by_label("账号").fill(LI.cards[0])
    frame.get_by_label("¥").fill("123.45")
    frame.get_by_label("附言").fill("午饭钱")
    frame.get_by_role("button", name="下一步").click()
    expect(frame.get_by_test_id("fraud-warning")).to_contain_text("首次向该收款人转账")  # 李娜 was never paid
    frame.get_by_test_id("understood").check()
    frame.get_by_test_id("acknowledge").click()
    for digit in demo_data.DEMO_PIN:  # the on-screen keypad, its digits shuffled
        frame.locator(f"[data-testid=pin-pad] [data-digit='{digit}']").click()
    phone.screenshot(path=artifacts / "journey-1-confirm.png")
    frame.get_by_role("button", name="确认转账").click()
    expect(frame.locator("body")).to_contain_text("123.45")
    phone.screenshot(path=artifacts / "journey-2-result.png")
    phone.get_by_test_id("webview-close").click()

    # 3. the dispatcher delivers the debit alert to the payer: a 动账提醒 notice card with the masked card
    cards = phone.get_by_test_id("card-template")
    alert = cards.filter(has_text="账户资金变动提醒").filter(has_text="转账支出")
    expect(alert).to_have_count(1, timeout=30_000)
    fields = dict(zip(alert.locator("dt").all_inner_texts(), alert.locator("dd").all_inner_texts(), strict=True))
    assert fields["交易金额"] == "¥123.45" and fields["账户尾号"] == LAST4, fields
    assert fields["可用余额"] == "¥49876.55", fields  # 50,000.00 - 123.45
    outcome = cards.filter(has_text="转账结果通知")
    expect(outcome).to_have_count(1)
    expect(outcome.locator("dd").first).to_have_text("李*")
    text = "\n".join(cards.all_inner_texts())
    assert ZHANG.cards[0] not in text and LI.cards[0] not in text  # masked, never the full numbers
    phone.screenshot(path=artifacts / "journey-3-alert-card.png")
