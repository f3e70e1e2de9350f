"""A conversation with staff in real Chromium, the simulator and the admin console side by side: the follower
types 人工 in the simulator and is put through; the staff member's inbox shows the customer's next message without
reloading; the staff member answers (a canned reply, then their own words) in the console; the reply reaches the
simulator as a customer-service message through the outbox's dispatcher; the close asks for a rating, and the
customer rates it with one tap on the H5 page the prompt links to. Screenshots for docs/customer-service.md."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.admin.models import ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers, start_dispatcher

from ..binding_support import seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)
USERNAME, PASSWORD = "hq_service", "browser-test-password"
DESKTOP = {"width": 1280, "height": 800}
QUESTION = "我的银行卡在 ATM 上被吞了，怎么办？"
ANSWER = "请携带身份证到发卡网点领取，或拨打热线办理挂失。"


@pytest.fixture
def sandbox(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe", BANK_SHORT_NAME="测试农商银行", SERVICE_HOTLINE="96000",
                   ADMIN_PANEL_ENABLED="1", ALERT_POLL_SECONDS="0.2", CONVERSATION_SERVICE_HOURS="24小时")
    seed_demo(app)  # also the bank-wide canned replies
    with app.app_context():
        staff = StaffUser(username=USERNAME, display_name="总行客服小王", role=ROLE_HEAD_OFFICE)
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        stop, thread = start_dispatcher(app)
        try:
            yield live
        finally:
            stop.set()
            thread.join(timeout=10)


def send(phone, text: str) -> None:
    phone.get_by_test_id("text-input").fill(text)
    phone.get_by_test_id("send").click()


def test_a_customer_asks_for_a_person_and_staff_answer_from_the_console(phone, browser, sandbox, artifacts):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("switch-mode").click()
    send(phone, "人工")
    expect(phone.get_by_test_id("msg-in").last).to_contain_text("已为您转接人工服务")

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(10_000)
    admin = context.new_page()
    admin.goto(f"{sandbox.service_url}/admin/login")
    admin.get_by_label("用户名").fill(USERNAME)
    admin.get_by_label("密码").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    expect(admin.get_by_test_id("staff-who")).to_contain_text("总行客服小王")
    admin.goto(f"{sandbox.service_url}/admin/conversations/?box=queue")
    inbox = admin.get_by_test_id("inbox")
    expect(inbox.get_by_test_id("conversation-row")).to_have_count(1)

    send(phone, QUESTION)  # the inbox shows it without a reload (it polls)
    expect(inbox.get_by_test_id("conversation-row").first).to_contain_text("ATM", timeout=15_000)
    admin.screenshot(path=artifacts / "admin-conversations-inbox.png", full_page=True)

    inbox.get_by_test_id("conversation-row").first.get_by_role("link").click()
    thread = admin.get_by_test_id("thread")
    expect(thread).to_contain_text(QUESTION)
    # 5 after the message, and up to 3 more while the minute after a menu click or follow lasts
    expect(admin.get_by_test_id("window")).to_contain_text(re.compile(r"还可发送 [5-8] 条"))
    admin.get_by_test_id("canned").select_option(label="问候")
    expect(admin.get_by_label("回复客户")).to_have_value("您好，我是您的客户经理，很高兴为您服务。请问有什么可以帮您？")
    admin.get_by_label("回复客户").fill(ANSWER)
    admin.get_by_test_id("reply").click()
    expect(thread).to_contain_text(ANSWER)
    expect(admin.get_by_test_id("assignee")).to_have_text("总行客服小王")  # answering from the queue takes it

    answer = phone.get_by_test_id("msg-in").filter(has_text=ANSWER)
    expect(answer).to_have_count(1, timeout=30_000)  # the dispatcher's customer-service message
    expect(answer).to_contain_text("总行客服小王：")
    send(phone, "好的，谢谢")
    expect(thread).to_contain_text("好的，谢谢", timeout=15_000)  # the thread shows it without a reload
    admin.screenshot(path=artifacts / "admin-conversation-thread.png", full_page=True)
    phone.screenshot(path=artifacts / "simulator-conversation-reply.png")

    admin.get_by_test_id("close").click()
    expect(admin.get_by_test_id("status")).to_have_text("已结束")
    prompt = phone.get_by_test_id("msg-in").filter(has_text="请回复数字为本次服务评分")
    expect(prompt).to_have_count(1, timeout=30_000)
    prompt.get_by_role("link", name="点此评价本次服务").click()  # the H5 page in the in-app browser: one tap
    frame = phone.frame_locator("[data-testid=webview-frame]")
    expect(frame.get_by_test_id("thread")).to_contain_text(ANSWER)
    frame.get_by_test_id("rate-5").click()
    expect(frame.get_by_test_id("rated")).to_contain_text("5 分")
    phone.screenshot(path=artifacts / "simulator-conversation-rating.png")
    admin.reload()
    expect(admin.get_by_test_id("rating")).to_contain_text("非常满意")
    context.close()



def test_one_browser_simulator_and_desk_side_by_side(browser, sandbox):
    """As docs/customer-service.md says: in one browser, the simulator on 127.0.0.1 and the desk on localhost (cookies
    ignore ports, and picking a simulated user forgets the service's session on 127.0.0.1; another host keeps the
    staff member logged in)."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(10_000)
    admin = context.new_page()
    admin.goto(sandbox.service_url.replace("127.0.0.1", "localhost") + "/admin/login")
    admin.get_by_label("用户名").fill(USERNAME)
    admin.get_by_label("密码").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    expect(admin.get_by_test_id("staff-who")).to_contain_text("总行客服小王")
    admin.goto(sandbox.service_url.replace("127.0.0.1", "localhost") + "/admin/conversations/?box=queue")
    expect(admin.get_by_test_id("empty")).to_have_count(1)
    phone = context.new_page()
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("switch-mode").click()
    send(phone, "人工")
    expect(phone.get_by_test_id("msg-in").last).to_contain_text("已为您转接人工服务")
    expect(admin.get_by_test_id("conversation-row")).to_have_count(1, timeout=15_000)  # still logged in; it polls
    context.close()
