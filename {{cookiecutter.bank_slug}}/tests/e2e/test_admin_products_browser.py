"""The admin panel in real Chromium: an admin logs in at /admin, creates a product and publishes it (在售); in the
simulator the customer sends 理财 and the news reply shows it. Screenshots of the dashboard and of the H5 product
page at 375x667 are saved as test artifacts (TEST_ARTIFACTS_DIR) and checked to be real PNGs."""

import re
import struct
from datetime import timedelta

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.admin.models import ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import DELIVERED, UNDELIVERABLE, Alert
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.products.models import bank_today
from {{ cookiecutter.bank_slug }}.features.transfers.models import FAILED, POSTED, TransferOrder
from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ..live_sandbox import live_sandbox
from .conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)
USERNAME, PASSWORD = "hq_browser", "browser-test-password"
CODE, NAME = "LC2026888", "青山稳盈 180 天"
DESKTOP = {"width": 1280, "height": 800}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_PNG_BYTES = 10_000  # a blank page compresses far below this


def seed_activity() -> None:
    """A few bindings, transfers and alerts of the last days, so the dashboard's figures and charts show something."""
    now = utcnow()
    for n in range(3):
        binding = CardBinding(openid=f"oDashboardCustomer{n:010d}", account_id=f"A{n:06d}",
                              card_mask=f"6228 **** **** 10{n:02d}", status="active")
        db.session.add(binding)
        db.session.flush()
        for day in range(n + 2):
            at = now - timedelta(days=day * 2)
            db.session.add(TransferOrder(idempotency_key=f"dash-{n}-{day}", openid=binding.openid,
                                         binding_id=binding.id, from_account_id=binding.account_id,
                                         from_card_masked=binding.card_mask, payee_number="6222020200112233445",
                                         payee_name="赵六", payee_bank="", amount_fen=10_000 * (day + 1),
                                         status=POSTED if day % 3 else FAILED, created_at=at, submitted_at=at,
                                         finished_at=at))
            db.session.add(Alert(source="ledger", source_txn_id=f"J{n}{day}:1", account_id=binding.account_id,
                                 kind="transfer_out", amount_fen=-10_000, occurred_at=at, created_at=at,
                                 finished_at=at, state=DELIVERED if day % 4 else UNDELIVERABLE))
    db.session.commit()


@pytest.fixture
def sandbox(make_app):
    # CONVERSATION_HANDOFF=wechat: 人工 hands over to WeChat's 客服 system (the built-in conversations have their
    # own browser test, tests/e2e/test_conversations_browser.py)
    app = make_app(BANK_SHORT_NAME="测试农商银行", SERVICE_HOTLINE="96000", WECHAT_ENCRYPT_MODE="safe",
                   ADMIN_PANEL_ENABLED="1", CONVERSATION_HANDOFF="wechat")
    with app.app_context():
        staff = StaffUser(username=USERNAME, display_name="总行测试员", role=ROLE_HEAD_OFFICE)
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
        seed_activity()
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        yield live


@pytest.fixture
def page_at(browser):
    """Pages of their own browser context (own cookies) at a given viewport; JavaScript errors fail the test."""
    contexts, errors = [], []

    def open_page(viewport):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert len(data) > MIN_PNG_BYTES, f"{path} is only {len(data)} bytes"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def log_in(page, sandbox):
    page.goto(f"{sandbox.service_url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login\b"))  # anonymous: the login page first
    page.get_by_label("用户名").fill(USERNAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("staff-who")).to_contain_text("总行测试员")


def create_and_publish(page, sandbox, today):
    page.goto(f"{sandbox.service_url}/admin/products/new/")
    page.get_by_label("产品代码").fill(CODE)
    page.get_by_label("产品名称").fill(NAME)
    page.get_by_label("风险等级").select_option("R2")
    page.get_by_label("预期年化收益率下限（%）").fill("2.85")
    page.get_by_label("预期年化收益率上限（%）").fill("3.40")
    page.get_by_label("产品期限（天）").fill("180")
    page.get_by_label("起购金额（元）").fill("10000")
    page.get_by_label("销售开始日期").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("销售结束日期").fill((today + timedelta(days=20)).isoformat())
    page.get_by_label("产品说明").fill("固定收益类，投资于高等级债券。<b>不</b>保本。")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("table.model-list")).to_contain_text(CODE)
    page.locator("table.model-list tr", has_text=CODE).get_by_title("预览图文回复").click()
    expect(page.get_by_test_id("product-status")).to_have_text("草稿")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("product-status")).to_have_text("在售")
    expect(page.get_by_test_id("news-single")).to_contain_text(f"{NAME}｜预期年化 2.85%-3.40%")


def test_admin_publishes_a_product_and_the_customer_sees_it(sandbox, page_at, artifacts):
    with sandbox.service.app_context():
        today = bank_today()
    admin = page_at(DESKTOP)
    log_in(admin, sandbox)
    admin.screenshot(path=artifacts / "admin-dashboard-desktop.png", full_page=True)
    create_and_publish(admin, sandbox, today)
    admin.screenshot(path=artifacts / "admin-product-preview.png", full_page=True)

    small = page_at(PHONE)  # the dashboard on a phone-sized screen: the staff member's session, another page
    small.context.add_cookies(admin.context.cookies())
    small.goto(f"{sandbox.service_url}/admin/")
    expect(small.get_by_test_id("bound-users")).to_be_visible()
    small.screenshot(path=artifacts / "admin-dashboard.png")

    phone = page_at(PHONE)
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")  # the switch is done
    phone.get_by_test_id("switch-mode").click()
    phone.get_by_test_id("text-input").fill("理财")
    phone.get_by_test_id("send").click()
    card = phone.get_by_test_id("card-news").last
    expect(card).to_contain_text(NAME)
    expect(card).to_contain_text("理财非存款、产品有风险、投资须谨慎")
    phone.screenshot(path=artifacts / "simulator-products-reply.png")
    phone.get_by_test_id("text-input").fill("人工")  # the hand-over to customer service, shown as a system line
    phone.get_by_test_id("send").click()
    expect(phone.get_by_test_id("notice").last).to_have_text("已转接人工客服")
    card.click()
    frame = phone.frame_locator("[data-testid=webview-frame]")
    expect(frame.get_by_text(NAME).first).to_be_visible()

    h5 = page_at(PHONE)
    h5.goto(f"{sandbox.service_url}/h5/products/{CODE}")
    expect(h5.get_by_text(NAME).first).to_be_visible()
    expect(h5.get_by_text("理财非存款、产品有风险、投资须谨慎").first).to_be_visible()
    h5.screenshot(path=artifacts / "h5-product.png")

    assert png_size(artifacts / "admin-dashboard.png") == (PHONE["width"], PHONE["height"])
    assert png_size(artifacts / "h5-product.png") == (PHONE["width"], PHONE["height"])
    width, height = png_size(artifacts / "admin-dashboard-desktop.png")
    assert width == DESKTOP["width"] and height >= DESKTOP["height"]
