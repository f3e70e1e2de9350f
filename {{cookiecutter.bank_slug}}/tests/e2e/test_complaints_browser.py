"""A complaint in real Chromium: the follower types 投诉 in the simulator, files the complaint in the H5 form the
reply links to, and the acknowledgement (ticket number and deadline) arrives in the chat; head office sees it in
the queue (screenshot, with an overdue one in red), assigns it to a branch and replies; the reply reaches the chat
through the outbox's dispatcher and shows on the H5 ticket page."""

import re
from datetime import timedelta

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.admin.models import ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.complaints import service
from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, push_menu, seed_followers, start_dispatcher
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ..binding_support import seed_demo
from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)
USERNAME, PASSWORD = "hq_complaints", "browser-test-password"
DESKTOP = {"width": 1280, "height": 720}
DESCRIPTION = "上月账户管理费被扣了两次，请核实并退还多扣的费用。"
REPLY = "您好，经核查确有重复扣费，12 元已退回您的账户。"


def seed_queue(monkeypatch) -> None:
    """Two earlier complaints of other customers, filed on the service's clock turned back: one 3 days old, one
    18 days old (overdue)."""
    now = utcnow()
    for n, (category, age) in enumerate((("service", 3), ("transfer", 18))):
        monkeypatch.setattr(service, "utcnow", lambda age=age: now - timedelta(days=age))
        service.file_complaint(f"oQueueCustomer{n:014d}", service.ComplaintInput(
            category, "网点排队时间过长，叫号系统故障。" if n == 0 else "跨行转账两天未到账。", "", "phone",
            "morning", service.new_idempotency_key()))
    monkeypatch.undo()


@pytest.fixture
def sandbox(make_app, monkeypatch):
    app = make_app(WECHAT_ENCRYPT_MODE="safe", BANK_SHORT_NAME="测试农商银行", SERVICE_HOTLINE="96000",
                   ADMIN_PANEL_ENABLED="1", ALERT_POLL_SECONDS="0.2")
    seed_demo(app)
    with app.app_context():
        staff = StaffUser(username=USERNAME, display_name="总行投诉专员", role=ROLE_HEAD_OFFICE)
        staff.set_password(PASSWORD)
        db.session.add(staff)
        db.session.commit()
        seed_queue(monkeypatch)
    with live_sandbox(app) as live:
        assert push_menu(app) == ""
        assert seed_followers(live.mock) == []
        stop, thread = start_dispatcher(app)
        try:
            yield live
        finally:
            stop.set()
            thread.join(timeout=10)


def test_file_a_complaint_and_see_the_staff_reply(phone, browser, sandbox, artifacts):
    phone.goto(f"{sandbox.mock_url}/simulator/")
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("user-select").select_option(FOLLOWER)
    expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
    phone.get_by_test_id("switch-mode").click()
    phone.get_by_test_id("text-input").fill("我要投诉")
    phone.get_by_test_id("send").click()
    reply = phone.get_by_test_id("msg-in").last
    expect(reply).to_contain_text("15 日内处理并答复")
    reply.get_by_role("link", name="点此在线提交投诉").click()

    frame = phone.frame_locator("[data-testid=webview-frame]")
    frame.get_by_label("投诉类别").select_option("fees")
    frame.get_by_role("button", name="提交投诉").click()  # no description: refused, the field named
    expect(frame.get_by_test_id("error")).to_have_attribute("data-field", "description")
    frame.get_by_label("问题描述").fill(DESCRIPTION)
    frame.get_by_role("button", name="提交投诉").click()
    ticket = frame.get_by_test_id("ticket-no")
    expect(ticket).to_contain_text("投诉编号：TS")
    number = re.search(r"TS\d+", ticket.inner_text()).group(0)
    expect(frame.get_by_test_id("status")).to_have_text("已受理，待分派")
    phone.screenshot(path=artifacts / "simulator-complaint-filed.png")
    phone.get_by_test_id("webview-close").click()
    ack = phone.get_by_test_id("msg-in").filter(has_text="【投诉受理】")
    expect(ack).to_have_count(1, timeout=30_000)  # the dispatcher's customer-service message
    expect(ack).to_contain_text(number)

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(10_000)
    admin = context.new_page()
    admin.goto(f"{sandbox.service_url}/admin/login")
    admin.get_by_label("用户名").fill(USERNAME)
    admin.get_by_label("密码").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    expect(admin.get_by_test_id("staff-who")).to_contain_text("总行投诉专员")
    admin.goto(f"{sandbox.service_url}/admin/complaints/")
    queue = admin.get_by_test_id("complaint-queue")
    expect(queue.get_by_test_id("complaint-row")).to_have_count(3)
    expect(queue.get_by_test_id("overdue")).to_have_text("已超期 3 天")
    admin.screenshot(path=artifacts / "admin-complaints-queue.png", full_page=True)

    queue.get_by_role("link", name=number).click()
    admin.get_by_label("分派到网点").select_option(label="0101 城东支行")
    admin.get_by_test_id("assign").click()
    expect(admin.get_by_test_id("status")).to_have_text("处理中")
    admin.get_by_label("回复客户（将通过微信发送）").fill(REPLY)
    admin.get_by_test_id("reply").click()
    expect(admin.get_by_test_id("thread")).to_contain_text(REPLY)
    admin.screenshot(path=artifacts / "admin-complaint-detail.png", full_page=True)
    context.close()

    answer = phone.get_by_test_id("msg-in").filter(has_text="【投诉回复】")
    expect(answer).to_have_count(1, timeout=30_000)
    expect(answer).to_contain_text(REPLY)
    answer.get_by_role("link").first.click()  # the ticket page in the in-app browser
    frame = phone.frame_locator("[data-testid=webview-frame]")
    expect(frame.get_by_test_id("thread")).to_contain_text(REPLY)
    expect(frame.get_by_test_id("status")).to_have_text("处理中")
    phone.screenshot(path=artifacts / "simulator-complaint-reply.png")
