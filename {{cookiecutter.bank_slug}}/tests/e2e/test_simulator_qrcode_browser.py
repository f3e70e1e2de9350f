"""The simulator's 扫码 buttons in real Chromium: a code the service created appears as a button; a visitor who
scans it follows (welcome), a second scan is a SCAN answered with the branch."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them under CI=true)
    expect = None

from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.qrcodes import service
from {{ cookiecutter.bank_slug }}.sandbox.run import DEMO_FOLLOWERS, seed_followers

from ..live_sandbox import live_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]

VISITOR = next(openid for openid, _, follows in DEMO_FOLLOWERS if not follows)


def test_a_visitor_scans_a_branch_code_to_follow_then_scans_again(phone, make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe", BANK_NAME="测试农村商业银行", BANK_SHORT_NAME="测试农商银行")
    with live_sandbox(app) as live:
        assert seed_followers(live.mock) == []
        with app.test_request_context():
            branch = Branch(code="5501", name="河东支行", address="", phone="")
            db.session.add(branch)
            db.session.commit()
            service.create_code("branch", name="河东大堂", created_by="hq", branch=branch)
            db.session.commit()
        phone.goto(f"{live.mock_url}/simulator/")
        expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
        phone.get_by_test_id("user-select").select_option(VISITOR)
        expect(phone.locator("#phone")).to_have_attribute("data-ready", "1")
        button = phone.get_by_test_id("scan-qrcode")
        expect(button).to_have_text("扫码: branch:5501")
        button.click()
        expect(phone.get_by_test_id("msg-in").last).to_contain_text("欢迎关注测试农村商业银行")
        expect(phone.get_by_test_id("follow")).to_be_hidden()  # now a follower
        button.click()
        expect(phone.get_by_test_id("msg-in").last).to_contain_text("河东支行")
        assert live.state.user(VISITOR).subscribed
