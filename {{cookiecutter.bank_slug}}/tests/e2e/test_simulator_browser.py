"""The simulator in real Chromium: follow, the menu, the command list, and an H5 page through OAuth2."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers
from {{ cookiecutter.bank_slug }}.shared.masking import mask_openid

from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

VISITOR = next(openid for openid, _, follows in DEMO_FOLLOWERS if not follows)
FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)


@pytest.fixture
def sandbox(request, make_app):
    """What `sandbox run` starts: service and mock on loopback, the menu pushed, demo followers seeded."""
    app = make_app(WECHAT_ENCRYPT_MODE=request.param, BANK_NAME="测试农村商业银行", BANK_SHORT_NAME="测试农商银行",
                   SERVICE_HOTLINE="96000")
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        yield live


def open_simulator(phone, sandbox):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    expect(phone.get_by_test_id("account-name")).to_have_text("测试农商银行")


def last_reply(phone):
    return phone.get_by_test_id("msg-in").last


@pytest.mark.parametrize("sandbox", ["plain", "safe"], indirect=True)
def test_visitor_follows_asks_for_help_and_opens_the_hall(phone, sandbox, artifacts):
    mode = sandbox.service.config["WECHAT_ENCRYPT_MODE"]
    open_simulator(phone, sandbox)
    phone.get_by_test_id("user-select").select_option(VISITOR)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")  # the switch is done
    follow = phone.get_by_test_id("follow")
    expect(follow).to_be_visible()
    phone.screenshot(path=artifacts / f"simulator-{mode}-1-visitor.png")

    follow.click()
    expect(last_reply(phone)).to_contain_text("欢迎关注测试农村商业银行微信银行")
    expect(phone.get_by_test_id("menubar")).to_be_visible()
    phone.screenshot(path=artifacts / f"simulator-{mode}-2-welcome.png")

    menubar = phone.get_by_test_id("menubar")
    menubar.get_by_role("button", name="账户").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="帮助").click()
    expect(last_reply(phone)).to_contain_text("「帮助」查看全部功能")
    expect(last_reply(phone)).to_contain_text("「网点」")
    phone.screenshot(path=artifacts / f"simulator-{mode}-3-help.png")

    phone.get_by_test_id("switch-mode").click()
    phone.get_by_test_id("text-input").fill("客服")
    phone.get_by_test_id("send").click()
    expect(phone.get_by_test_id("msg-out").last.locator(".bubble")).to_have_text("客服")
    expect(last_reply(phone)).to_contain_text("96000")
    phone.screenshot(path=artifacts / f"simulator-{mode}-4-keyboard.png")

    phone.get_by_test_id("chat").get_by_role("link", name="进入服务大厅").last.click()
    frame = phone.frame_locator("[data-testid=webview-frame]")
    expect(frame.get_by_test_id("greeting")).to_contain_text(mask_openid(VISITOR))
    expect(frame.get_by_text("服务大厅", exact=True)).to_be_visible()
    assert phone.evaluate("[document.getElementById('phone').scrollLeft, document.scrollingElement.scrollLeft]") \
        == [0, 0]  # nothing overflows the phone sideways
    phone.screenshot(path=artifacts / f"simulator-{mode}-5-h5-hall.png")


@pytest.mark.parametrize("sandbox", ["safe"], indirect=True)
def test_menu_links_and_user_switch_reidentify_in_h5(phone, sandbox, artifacts):
    open_simulator(phone, sandbox)
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")  # the switch is done
    phone.get_by_test_id("menubar").get_by_role("button", name="理财/信用卡").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="理财产品").click()
    frame = phone.frame_locator("[data-testid=webview-frame]")
    expect(frame.get_by_test_id("risk-notice")).to_contain_text("理财非存款、产品有风险、投资须谨慎")  # public page
    phone.get_by_test_id("webview-close").click()
    phone.get_by_test_id("menubar").get_by_role("button", name="账户").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="绑定").click()
    expect(frame.locator(".openid")).to_have_text(mask_openid(FOLLOWER))
    phone.get_by_test_id("webview-close").click()

    phone.get_by_test_id("new-user").click()
    phone.get_by_test_id("new-nickname").fill("小测")
    phone.get_by_test_id("create-user").click()
    phone.get_by_test_id("follow").click()
    expect(last_reply(phone)).to_contain_text("欢迎关注")
    new_openid = phone.get_by_test_id("user-select").input_value()
    assert new_openid != FOLLOWER and sandbox.state.user(new_openid).nickname == "小测"

    phone.get_by_test_id("menubar").get_by_role("button", name="账户").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="绑定").click()
    expect(frame.get_by_test_id("consent-form")).to_be_visible()  # a new user consents before binding (PIPL art. 29)
    frame.get_by_test_id("agree").check()
    frame.get_by_role("button", name="同意并继续").click()
    expect(frame.get_by_role("button", name="获取短信验证码")).to_be_visible()
    expect(frame.locator(".openid")).to_have_text(mask_openid(new_openid))  # not the previous user
    phone.screenshot(path=artifacts / "simulator-safe-6-bind-new-user.png")


@pytest.mark.parametrize("sandbox", ["compat"], indirect=True)
def test_messages_sent_through_the_api_arrive_as_cards(phone, sandbox, artifacts):
    from {{ cookiecutter.bank_slug }}.wechat.client import get_client

    open_simulator(phone, sandbox)
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")  # the switch is done
    with sandbox.service.app_context():
        client = get_client()
        client.message.send_text(FOLLOWER, "您的转账已到账，请查收。")
        client.message.send_template(FOLLOWER, "sandbox_tmpl_account_change", {
            "thing1": {"value": "转账收入"},
            "amount2": {"value": "¥500.00"},
            "time3": {"value": "2024年05月01日 14:30"},
            "character_string4": {"value": "1234"},
            "amount5": {"value": "¥12345.67"},
        }, url=f"{sandbox.service_url}/h5/")
    expect(phone.get_by_test_id("msg-in").filter(has_text="客服消息")).to_contain_text("您的转账已到账")
    card = phone.get_by_test_id("card-template")
    expect(card).to_contain_text("账户资金变动提醒")
    # shown as WeChat's notice card: one row per keyword, label beside value
    expect(card.locator("dt")).to_have_text(["交易类型", "交易金额", "交易时间", "账户尾号", "可用余额"])
    expect(card.locator("dd").nth(1)).to_have_text("¥500.00")
    phone.screenshot(path=artifacts / "simulator-compat-7-notifications.png")
    card.click()
    expect(phone.frame_locator("[data-testid=webview-frame]").get_by_test_id("greeting")).to_contain_text(
        mask_openid(FOLLOWER))


@pytest.mark.parametrize("sandbox", ["safe"], indirect=True)
def test_a_follower_sends_a_location_from_the_picker(phone, sandbox, artifacts):
    open_simulator(phone, sandbox)
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("switch-mode").click()
    phone.get_by_test_id("place-select").select_option("market")
    phone.get_by_test_id("send-location").click()
    expect(phone.get_by_test_id("msg-out").last).to_contain_text("[位置] 城东农贸市场")
    expect(last_reply(phone)).to_contain_text("已收到您发送的位置「城东农贸市场」")
    phone.screenshot(path=artifacts / "simulator-location.png")
