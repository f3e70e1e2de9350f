"""Card binding in the simulator, in real Chromium: the menu's 绑定 page, the SMS code arriving as a 短信 card,
the code typed in, then 余额 in the chat."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers

from ..binding_support import ZHANG, fill_binding_form, seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)


@pytest.fixture
def sandbox(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe", BANK_SHORT_NAME="测试农商银行", SERVICE_HOTLINE="96000")
    seed_demo(app)
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        yield live


def test_bind_a_card_in_the_simulator_then_ask_the_balance(phone, sandbox, artifacts):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")  # the switch is done
    phone.get_by_test_id("menubar").get_by_role("button", name="账户").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="绑定").click()

    frame = phone.frame_locator("[data-testid=webview-frame]")
    fill_binding_form(frame, ZHANG)
    expect(frame.get_by_test_id("phone")).to_have_text("138****8001")

    sms = phone.get_by_test_id("card-sms")
    expect(sms).to_contain_text("短信")
    expect(sms).to_contain_text("138****8001")
    code = re.search(r"验证码 (\d{6})", sms.inner_text()).group(1)
    phone.screenshot(path=artifacts / "simulator-bind-1-sms.png")

    frame.get_by_label("短信验证码").fill(code)
    frame.get_by_role("button", name="确认绑定").click()
    expect(frame.get_by_test_id("notice")).to_contain_text("绑定成功：6228 **** **** " + ZHANG.cards[0][-4:])
    phone.screenshot(path=artifacts / "simulator-bind-2-bound.png")

    phone.get_by_test_id("webview-close").click()
    phone.get_by_test_id("menubar").get_by_role("button", name="账户").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="余额").click()
    reply = phone.get_by_test_id("msg-in").last
    expect(reply).to_contain_text("6228 **** **** " + ZHANG.cards[0][-4:])
    expect(reply).to_contain_text("可用余额 ¥50,000.00")
    phone.screenshot(path=artifacts / "simulator-bind-3-balance.png")

    reply.get_by_role("link", name="查看明细").click()  # the balance page in the in-app browser
    frame = phone.frame_locator("[data-testid=webview-frame]")
    card = frame.get_by_test_id("card").first
    expect(card).to_contain_text("6228 **** **** " + ZHANG.cards[0][-4:])
    expect(card.get_by_test_id("available")).to_have_text("¥ 50,000.00")
    expect(frame.get_by_test_id("transaction").first).to_contain_text("+50,000.00")
    phone.screenshot(path=artifacts / "simulator-bind-4-balance-page.png")
