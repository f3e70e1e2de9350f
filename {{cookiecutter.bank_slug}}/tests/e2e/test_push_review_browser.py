"""双人复核 of a 群发 in real Chromium: one head-office admin previews and submits an announcement, the same
admin's approve button is disabled, a second head-office admin approves it and the mock sends it; WeChat's
MASSSENDJOBFINISH report (pushed by the mock) then shows on the job. A screenshot of the reviewed job is saved
as a test artifact (admin-push-review.png, used in the docs)."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.admin.models import ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.mass_jobs import finish_push
from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, seed_followers

from ..live_sandbox import live_sandbox
from ..product_support import add_product

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

FOLLOWER = next(openid for openid, _, follows in DEMO_FOLLOWERS if follows)
AUTHOR, CHECKER, PASSWORD = "hq_author", "hq_checker", "browser-test-password"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def sandbox(make_app):
    app = make_app(ADMIN_PANEL_ENABLED="1")
    with app.app_context():
        for username, name in ((AUTHOR, "总行运营"), (CHECKER, "总行复核")):
            staff = StaffUser(username=username, display_name=name, role=ROLE_HEAD_OFFICE,
                              openid=FOLLOWER if username == AUTHOR else None)
            staff.set_password(PASSWORD)
            db.session.add(staff)
        db.session.commit()
    add_product(app, "LC2026777", name="青山稳盈 90 天")
    with live_sandbox(app) as live:
        assert seed_followers(live.mock) == []
        yield live


def log_in(browser, sandbox, username, name):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{sandbox.service_url}/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("staff-who")).to_contain_text(name)
    return page


def test_a_push_is_sent_only_when_a_second_admin_approves_it(sandbox, browser, artifacts):
    author = log_in(browser, sandbox, AUTHOR, "总行运营")
    author.goto(f"{sandbox.service_url}/admin/push/")
    expect(author.get_by_test_id("push-month")).to_contain_text("已群发 0/4 次")
    author.get_by_test_id("push-new").click()
    expect(author).to_have_url(re.compile(r"/admin/push/job/\?id=\d+"))
    author.get_by_test_id("push-preview").click()
    expect(author.get_by_test_id("push-previewed")).not_to_contain_text("尚未预览")
    author.get_by_test_id("push-submit").click()
    expect(author.get_by_test_id("push-review")).to_contain_text("待复核")
    expect(author.get_by_test_id("push-approve")).to_be_disabled()  # the author cannot approve their own
    assert sandbox.state.records_since(0, "mass_send") == []
    job_url = author.url

    checker = log_in(browser, sandbox, CHECKER, "总行复核")
    checker.goto(job_url)
    expect(checker.get_by_test_id("push-own")).to_have_count(0)
    checker.get_by_test_id("push-approve").click()
    expect(checker.get_by_test_id("push-review")).to_contain_text("复核通过")
    expect(checker.get_by_test_id("push-result")).to_have_text("微信已受理群发")
    [sent] = sandbox.state.records_since(0, "mass_send")
    assert FOLLOWER in sent.extra["delivered_to"]

    finish_push(sandbox.state, sent.extra["msg_id"], "send success")  # WeChat's report when the job is done
    checker.reload()
    expect(checker.get_by_test_id("push-report")).to_contain_text("发送成功")
    expect(checker.get_by_test_id("push-quota")).to_contain_text("该对象本月已群发 1/4 次，还剩 3 次")
    checker.screenshot(path=artifacts / "admin-push-review.png", full_page=True)
    for page in (author, checker):
        page.context.close()
