"""A segment's 群发 in real Chromium: a head-office admin builds a segment (bound customers of one branch),
sees who it reaches, makes a 群发 of a product to it, previews it on their own WeChat and submits it; a second
head-office admin approves it and the mock sends it to the segment's WeChat tag, reaching the bound follower
only. Screenshots of the segment and of the approved job are saved as test artifacts
(admin-marketing-segment.png, admin-marketing-push.png, used in docs/marketing.md)."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.admin.models import ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, seed_followers

from ..live_sandbox import live_sandbox
from ..product_support import add_product

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

BOUND, OTHER = (openid for openid, _, follows in DEMO_FOLLOWERS if follows)
AUTHOR, CHECKER, PASSWORD = "hq_marketer", "hq_reviewer", "browser-test-password"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def sandbox(make_app):
    app = make_app(ADMIN_PANEL_ENABLED="1")
    with app.app_context():
        db.session.add(Branch(code="6601", name="河口支行", address="", phone=""))
        for username, name in ((AUTHOR, "总行营销"), (CHECKER, "总行复核")):
            staff = StaffUser(username=username, display_name=name, role=ROLE_HEAD_OFFICE,
                              openid=OTHER if username == AUTHOR else None)
            staff.set_password(PASSWORD)
            db.session.add(staff)
        db.session.add(CardBinding(openid=BOUND, account_id="A-e2e-1", card_mask="6228 **** **** 6601",
                                   branch_code="6601"))
        db.session.commit()
    add_product(app, "LC2026888", name="河口稳盈 180 天")
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


def test_a_segment_gets_a_previewed_approved_push(sandbox, browser, artifacts):
    author = log_in(browser, sandbox, AUTHOR, "总行营销")
    author.goto(f"{sandbox.service_url}/admin/marketing_segments/")
    author.get_by_label("人群名称").fill("河口已绑卡客户")
    author.get_by_label("网点").select_option("6601")
    author.get_by_label("绑卡").select_option("bound")
    author.get_by_test_id("segment-save").click()
    expect(author.get_by_test_id("segment-count")).to_contain_text("匹配 1 位关注用户")
    author.screenshot(path=artifacts / "admin-marketing-segment.png", full_page=True)
    author.get_by_test_id("segment-push").click()
    expect(author).to_have_url(re.compile(r"/admin/push/job/\?id=\d+"))
    assert sandbox.state.records_since(0, "mass_send") == []
    author.get_by_test_id("push-preview").click()
    expect(author.get_by_test_id("push-previewed")).not_to_contain_text("尚未预览")
    author.get_by_test_id("push-submit").click()
    expect(author.get_by_test_id("push-review")).to_contain_text("待复核")
    expect(author.get_by_test_id("push-approve")).to_be_disabled()
    job_url = author.url

    checker = log_in(browser, sandbox, CHECKER, "总行复核")
    checker.goto(job_url)
    checker.get_by_test_id("push-approve").click()
    expect(checker.get_by_test_id("push-review")).to_contain_text("复核通过")
    expect(checker.get_by_test_id("push-result")).to_have_text("微信已受理群发")
    [sent] = sandbox.state.records_since(0, "mass_send")
    assert sent.payload["filter"]["is_to_all"] is False
    assert sent.extra["delivered_to"] == [BOUND]  # the segment only, not the other follower
    checker.screenshot(path=artifacts / "admin-marketing-push.png", full_page=True)
    for page in (author, checker):
        page.context.close()
