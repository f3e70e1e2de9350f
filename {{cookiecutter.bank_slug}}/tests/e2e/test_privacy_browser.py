"""Personal information in the simulator, in real Chromium: the separate consent before the first binding, then
我的信息 from the service hall (what is kept, masked), and 注销微信银行服务 saying what is kept by law."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers

from ..binding_support import ZHANG, seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)


@pytest.fixture
def sandbox(make_app):
    app = make_app(BANK_SHORT_NAME="测试农商银行", SERVICE_HOTLINE="96000")
    seed_demo(app)
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        yield live


def test_consent_then_my_information_then_cancellation(phone, sandbox, artifacts):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("menubar").get_by_role("button", name="账户").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="绑定").click()

    frame = phone.frame_locator("[data-testid=webview-frame]")
    expect(frame.get_by_test_id("sensitive-clause")).to_contain_text("银行卡号、开户人姓名、居民身份证号码")
    phone.screenshot(path=artifacts / "simulator-privacy-1-consent.png")
    frame.get_by_role("button", name="同意并继续").click()  # without the tick: refused, with the reason
    expect(frame.get_by_test_id("error")).to_contain_text("请阅读并勾选")
    frame.get_by_test_id("agree").check()
    frame.get_by_role("button", name="同意并继续").click()

    frame.get_by_label("银行卡号").fill(ZHANG.cards[0])
    frame.get_by_label("姓名").fill(ZHANG.name)
    frame.get_by_label("身份证号").fill(ZHANG.id_number)
    frame.get_by_label("手机号").fill(ZHANG.phone)
    frame.get_by_role("button", name="获取短信验证码").click()
    sms = phone.get_by_test_id("card-sms")
    expect(sms).to_contain_text("验证码")
    code = re.search(r"验证码 (\d{6})", sms.inner_text()).group(1)
    frame.get_by_label("短信验证码").fill(code)
    frame.get_by_role("button", name="确认绑定").click()
    expect(frame.get_by_test_id("notice")).to_contain_text("绑定成功")

    frame.get_by_role("link", name="返回服务大厅").click()
    frame.get_by_role("link", name=re.compile("我的信息")).first.click()
    cards = frame.locator("[data-kind=card_binding]")
    expect(cards).to_contain_text("6228 **** **** " + ZHANG.cards[0][-4:])
    expect(cards).not_to_contain_text(ZHANG.phone)
    expect(frame.get_by_test_id("consent-status")).to_contain_text("您已同意隐私政策版本")
    phone.screenshot(path=artifacts / "simulator-privacy-2-mine.png")

    frame.get_by_test_id("erase-link").click()
    expect(frame.get_by_test_id("to-keep")).to_contain_text("绑定的银行卡")
    expect(frame.get_by_test_id("to-erase")).to_contain_text("绑卡申请")
    phone.screenshot(path=artifacts / "simulator-privacy-3-erase.png")
    frame.get_by_role("button", name="确认注销").click()
    expect(frame.get_by_test_id("title")).to_have_text("已注销微信银行服务")
    expect(frame.get_by_test_id("kept")).to_contain_text("账户安全与反洗钱审计")
    phone.screenshot(path=artifacts / "simulator-privacy-4-cancelled.png")
