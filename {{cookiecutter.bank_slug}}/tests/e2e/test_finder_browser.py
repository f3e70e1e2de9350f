"""The branch finder in real Chromium: the menu's 附近网点 (location_select) sends the place chosen in the
simulator's picker, and the nearest branch comes back with its distance and a map link; the H5 list shows them."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers
from {{ cookiecutter.bank_slug }}.shared.geo import distance_m, format_distance, tencent_map_marker_url

from ..binding_support import seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)


@pytest.fixture
def sandbox(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe", BANK_SHORT_NAME="测试农商银行")
    seed_demo(app)
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        yield live


def test_near_branches_from_the_menu_then_the_h5_list(phone, sandbox, artifacts):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("switch-mode").click()  # the keyboard bar holds the place picker
    phone.get_by_test_id("place-select").select_option("market")
    phone.get_by_test_id("switch-mode").click()  # back to the menu
    phone.get_by_test_id("menubar").get_by_role("button", name="服务").click()
    phone.get_by_test_id("submenu").get_by_role("button", name="附近网点").click()
    reply = phone.get_by_test_id("msg-in").last
    expect(reply).to_contain_text("离您最近的测试农商银行网点")
    expect(reply).to_contain_text("1. 城东支行（营业网点） ")
    expected = tencent_map_marker_url(30.281940, 120.201362, "城东支行", "城东大道 16 号", "测试农商银行")
    expect(reply.get_by_role("link", name="地图导航").first).to_have_attribute("href", expected)
    phone.screenshot(path=artifacts / "simulator-near-branches.png")

    # the H5 list (OAuth through the mock as the same follower), sorted by the place just sent
    phone.goto(f"{sandbox.service_url}/h5/branches")
    expect(phone.get_by_test_id("sorted-by")).to_contain_text("按离您的距离排序")
    first = phone.get_by_test_id("branch").first
    expect(first).to_have_attribute("data-code", "0101")
    expect(first.get_by_test_id("distance")).to_have_text(
        format_distance(distance_m(30.283000, 120.199000, 30.281940, 120.201362)))  # the picker's 城东农贸市场
    phone.screenshot(path=artifacts / "h5-branches.png")
