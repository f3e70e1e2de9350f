"""The conversation pages: the admin inboxes and their JSON (masked, scoped), the thread with the masked profile,
canned replies, reply / take / transfer / close through the panel (a wrong reply: 400 naming the field, stored
nothing, escaped where shown), the CSV export (audited); the H5 conversation page (the thread, writing, the
one-tap rating) and 我的客户经理 with the consent; the dashboard's figures; a fuzzed reply form never a 5xx."""

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.conversations import service
from {{ cookiecutter.bank_slug }}.features.conversations.models import CannedReply, CustomerManager

from ...admin.conftest import logged_in
from ..balance.test_balance_h5 import signed_in
from .support import ALICE, BOB, CONFIG, Clock, conversation_of, make_manager, make_world, say

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", clock)
    return clock


@pytest.fixture
def app(make_app, clock):
    app = make_app(**CONFIG)
    app.world = make_world(app)
    with app.app_context():
        db.session.add(CannedReply(branch_code=None, title="问候", body="您好，很高兴为您服务。"))
        db.session.add(CannedReply(branch_code="0201", title="河西专用", body="河西支行的回复"))
        db.session.commit()
    return app


def opened(app, text="<script>alert(1)</script>我的卡 6228480402564890018 被吞了") -> int:
    client = app.test_client()
    say(client, None, ALICE, "人工")
    say(client, None, ALICE, text)
    with app.app_context():
        return conversation_of(ALICE).id


def csrf(client, path):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def post(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf(client, page), **data})


def test_inbox_and_json_are_masked_and_scoped(app):
    conversation_id = opened(app)
    east = logged_in(app, "east_conv")
    html = east.get("/admin/conversations/?box=queue").get_data(as_text=True)
    assert 'data-testid="conversation-row"' in html and ALICE not in html
    assert "6228480402564890018" not in html and "&lt;script&gt;" in html and "<script>alert" not in html
    data = east.get("/admin/conversations/inbox.json?box=queue").get_json()
    assert [row["id"] for row in data["rows"]] == [conversation_id] and data["counts"]["queue"] == 1
    assert ALICE not in str(data)
    west = logged_in(app, "west_conv")
    assert west.get("/admin/conversations/inbox.json?box=queue").get_json()["rows"] == []
    assert west.get(f"/admin/conversations/{conversation_id}").status_code == 404
    assert west.get(f"/admin/conversations/{conversation_id}/messages.json").status_code == 404
    assert east.get("/admin/conversations/abc").status_code == 404
    assert east.get("/admin/conversations/99999999999999999999").status_code == 404
    hq = logged_in(app, "hq_conv")
    assert [r["id"] for r in hq.get("/admin/conversations/inbox.json?box=branch").get_json()["rows"]] == \
        [conversation_id]
    assert app.test_client().get("/admin/conversations/inbox.json").status_code in (302, 303)  # not logged in


def test_thread_reply_close_through_the_panel(app):
    conversation_id = opened(app)
    east = logged_in(app, "east_conv")
    page = f"/admin/conversations/{conversation_id}"
    html = east.get(page).get_data(as_text=True)
    assert "6228 **** **** 0018" in html and ALICE not in html and "<script>alert" not in html
    assert "您好，很高兴为您服务。" in html and "河西支行的回复" not in html  # canned: the bank's and the branch's
    assert 'data-testid="window"' in html and "5" in re.search(r'data-testid="window">(.*?)</p>', html, re.S).group(1)

    refused = post(east, f"{page}/reply", page, body="<b>加粗</b>")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert 'data-field="body"' in text and "&lt;b&gt;加粗&lt;/b&gt;" in text and "<b>加粗" not in text
    ok = post(east, f"{page}/reply", page, body="您好，已为您挂失，请到网点补卡。")
    assert ok.status_code == 303
    messages = east.get(f"{page}/messages.json?after=0").get_json()
    assert messages["messages"][-1]["body"] == "您好，已为您挂失，请到网点补卡。"
    assert messages["window"] == {"left": 4, "queued": 1}
    last = messages["messages"][-1]["id"]
    assert east.get(f"{page}/messages.json?after={last}").get_json()["messages"] == []
    assert east.get(f"{page}/messages.json?after=-1").status_code == 200

    export = east.get(f"{page}/export.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "conversation" and any("挂失" in row[-1] for row in rows)
    assert post(east, f"{page}/transfer", page, target="nobody").status_code == 400
    assert post(east, f"{page}/close", page).status_code == 303
    assert post(east, f"{page}/close", page).status_code == 409
    with app.app_context():
        actions = list(db.session.scalars(select(AuditLog.action).where(
            AuditLog.target_type == "conversation").order_by(AuditLog.id)))
        assert actions == ["reply", "export", "close"]


def test_range_export_refuses_bad_dates(app):
    opened(app)
    hq = logged_in(app, "hq_conv")
    assert hq.get("/admin/conversations/export.csv?from=2026-13-01&to=2026-03-05").status_code == 400
    assert hq.get("/admin/conversations/export.csv?from=2026-03-05&to=2026-03-01").status_code == 400
    ok = hq.get("/admin/conversations/export.csv?from=2026-03-01&to=2026-03-05")
    assert ok.status_code == 200 and "6228480402564890018" not in ok.get_data(as_text=True)
    assert ALICE not in ok.get_data(as_text=True) and "被吞了" in ok.get_data(as_text=True)


def test_h5_thread_write_and_one_tap_rating(app):
    conversation_id = opened(app, "你好")
    with app.app_context():
        service.reply(app.world.staff(app.world.east), conversation_of(ALICE), "您好，请讲")
    customer = signed_in(app, ALICE)
    html = customer.get("/h5/conversations").get_data(as_text=True)
    assert "您好，请讲" in html and "王经理" in html
    assert post(customer, "/h5/conversations", "/h5/conversations", body="  ").status_code == 400
    assert post(customer, "/h5/conversations", "/h5/conversations", body="我想问一下利率").status_code == 303
    with app.app_context():
        assert conversation_of(ALICE).messages[-1].body == "我想问一下利率"
        service.close(app.world.staff(app.world.east), conversation_of(ALICE))
    html = customer.get("/h5/conversations").get_data(as_text=True)
    assert 'data-testid="rate-5"' in html
    rate = f"/h5/conversations/{conversation_id}/rate"
    assert post(customer, rate, "/h5/conversations", rating="9").status_code == 400
    assert post(signed_in(app, BOB), rate, "/h5/conversations", rating="5").status_code == 404
    assert post(customer, rate, "/h5/conversations", rating="4").status_code == 303
    assert post(customer, rate, "/h5/conversations", rating="5").status_code == 409
    assert 'data-testid="rated"' in customer.get("/h5/conversations").get_data(as_text=True)
    with app.app_context():
        assert conversation_of(ALICE).rating == 4


def test_my_account_manager_and_the_consent(app):
    customer = signed_in(app, ALICE)
    assert 'data-testid="no-manager"' in customer.get("/h5/conversations/manager").get_data(as_text=True)
    assert post(customer, "/h5/conversations/manager/consent", "/h5/conversations",
                consent="yes").status_code == 409  # nobody to consent to
    make_manager(app, app.world.east, phone="0571-8800 0101")
    with app.app_context():
        db.session.add(CustomerManager(openid=ALICE, manager_id=app.world.east, assigned_by="hq_conv",
                                       contact_consent=False))
        db.session.commit()
    html = customer.get("/h5/conversations/manager").get_data(as_text=True)
    assert "王经理" in html and "0571-8800 0101" in html and "城东支行" in html and "尚未同意" in html
    page = "/h5/conversations/manager"
    assert post(customer, f"{page}/consent", page, consent="maybe").status_code == 400
    assert post(customer, f"{page}/consent", page, consent="yes").status_code == 303
    assert "已同意" in customer.get(page).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CustomerManager, ALICE).contact_consent is True


def test_set_the_account_manager_from_the_thread(app):
    conversation_id = opened(app, "你好")
    make_manager(app, app.world.east)
    east = logged_in(app, "east_conv")
    page = f"/admin/conversations/{conversation_id}"
    assert post(east, f"{page}/manager", page, manager_id="x").status_code == 400
    assert post(east, f"{page}/manager", page, manager_id=str(app.world.east)).status_code == 303
    with app.app_context():
        assert db.session.get(CustomerManager, ALICE).manager_id == app.world.east


def test_dashboard_shows_first_response_and_resolution(app, clock):
    opened(app, "你好")
    clock.advance(minutes=4)
    with app.app_context():
        service.reply(app.world.staff(app.world.east), conversation_of(ALICE), "您好")
        clock.advance(minutes=6)
        service.close(app.world.staff(app.world.east), conversation_of(ALICE))
        figures = service.dashboard_figures("0101", 14)
        assert (figures["first_response_minutes"], figures["resolution_minutes"]) == (4, 10)
        assert service.dashboard_figures("0201", 14)["first_response_minutes"] is None
    html = logged_in(app, "east_conv").get("/admin/").get_data(as_text=True)
    assert 'data-testid="conversations-first-response"' in html


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.text(max_size=700))
def test_fuzzed_replies_are_sent_or_refused_never_a_5xx(app, body):
    with app.app_context():
        conversation = conversation_of(ALICE)
    conversation_id = conversation.id if conversation else opened(app, "你好")
    east = logged_in(app, "east_conv")
    page = f"/admin/conversations/{conversation_id}"
    response = post(east, f"{page}/reply", page, body=body)
    assert response.status_code in (303, 400)


def test_the_settings_pages_head_office_and_branch(app):
    hq, east = logged_in(app, "hq_conv"), logged_in(app, "east_conv")
    for path in ("/admin/canned_replies/", "/admin/account_managers/", "/admin/customer_managers/",
                 "/admin/service_hours/"):
        assert hq.get(path).status_code == 200, path
    assert east.get("/admin/canned_replies/").status_code == 200
    assert "河西支行的回复" not in east.get("/admin/canned_replies/").get_data(as_text=True)  # another branch's
    for path in ("/admin/account_managers/", "/admin/service_hours/", "/admin/customer_managers/"):
        assert east.get(path).status_code == 403, path

    new = "/admin/account_managers/new/"
    form = hq.get(new).get_data(as_text=True)
    assert "王经理（east_conv）" in form
    created = hq.post(new, data={"csrf_token": CSRF.search(form).group(1), "staff_id": str(app.world.east),
                                 "title": "客户经理", "phone": "0571-8800 0101", "photo_url": "", "introduction": "",
                                 "active": "y"})
    assert created.status_code == 302
    again = hq.post(new, data={"csrf_token": CSRF.search(form).group(1), "staff_id": str(app.world.east),
                               "title": "x", "phone": "abc", "photo_url": "http://x", "active": "y"})
    assert again.status_code == 200 and "已是客户经理" in again.get_data(as_text=True)

    hours = "/admin/service_hours/new/"
    token = CSRF.search(hq.get(hours).get_data(as_text=True)).group(1)
    bad = hq.post(hours, data={"csrf_token": token, "branch_code": "0101", "hours": "每天 25:00-26:00"})
    assert bad.status_code == 200 and "不存在" in bad.get_data(as_text=True)
    assert hq.post(hours, data={"csrf_token": token, "branch_code": "0101", "hours": "每天 8:00-20:00"}).status_code \
        == 302
    with app.app_context():
        assert service.hours_text("0101") == "每天 8:00-20:00"

    canned = "/admin/canned_replies/new/"
    token = CSRF.search(east.get(canned).get_data(as_text=True)).group(1)
    refused = east.post(canned, data={"csrf_token": token, "title": "链接", "body": "见 https://evil.example.com",
                                      "branch_code": ""})
    assert refused.status_code == 200 and "evil.example.com" in refused.get_data(as_text=True)
    assert east.post(canned, data={"csrf_token": token, "title": "营业时间", "body": "本网点周一至周五营业。",
                                   "branch_code": "0201"}).status_code == 302
    with app.app_context():
        row = db.session.scalar(select(CannedReply).where(CannedReply.title == "营业时间"))
        assert row.branch_code == "0101"  # a branch operator's own branch, whatever was typed


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.text(max_size=2100), rating=st.text(max_size=5))
def test_fuzzed_customer_pages_store_or_refuse_never_a_5xx(app, body, rating):
    customer = signed_in(app, BOB)
    assert customer.get("/h5/conversations").status_code == 200  # with or without a conversation
    written = post(customer, "/h5/conversations", "/h5/conversations", body=body)
    assert written.status_code in (303, 400)
    with app.app_context():
        conversation = conversation_of(BOB)
        conversation_id = conversation.id if conversation else 1
    rated = post(customer, f"/h5/conversations/{conversation_id}/rate", "/h5/conversations", rating=rating)
    assert rated.status_code in (303, 400, 404, 409)
