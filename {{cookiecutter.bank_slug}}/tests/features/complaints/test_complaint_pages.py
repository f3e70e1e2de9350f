"""The complaint pages: the 投诉 keyword, the H5 form (a wrong value is a 400 naming the field and stores nothing; a
double submit is one ticket), the ticket page with its thread, rating and the one reopening; the admin queue
(head office sees all, a branch its own, overdue in red), the staff steps through the panel, the CSV report;
the menu entry."""

import csv
import io
import re

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.complaints import service
from {{ cookiecutter.bank_slug }}.features.complaints.models import Complaint
from {{ cookiecutter.bank_slug }}.features.menu.default import default_menu
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message

from ...admin.conftest import logged_in
from ...helpers import next_msg_id, push, reply_field
from ..balance.test_balance_h5 import signed_in
from .support import ALICE, BOB, Clock, counts, form, make_world, notice_kinds

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(service, "utcnow", fake)
    return fake


@pytest.fixture
def app(make_app, clock):
    app = make_app(ADMIN_PANEL_ENABLED="1")
    app.world = make_world(app)
    return app


def open_form(client) -> tuple[str, str, str]:
    page = client.get("/h5/complaints")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return CSRF.search(html).group(1), KEY.search(html).group(1), html


def submit(client, **fields):
    csrf, key, _ = open_form(client)
    data = {"csrf_token": csrf, "idempotency_key": key, "category": "fees", "description": "手续费多扣了",
            "contact_channel": "phone", "contact_time": "morning"}
    data.update(fields)
    return client.post("/h5/complaints", data=data), data


def ticket_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_the_keyword_answers_with_the_form_link(app):
    for word in ("投诉", "我要投诉"):
        _, reply = push(app.test_client(), WeChatPusher.from_config(app.config),
                        text_message(ALICE, word, next_msg_id()))
        assert "/h5/complaints" in reply_field(reply, "Content") and "15 日" in reply_field(reply, "Content")


def test_the_default_menu_has_the_complaint_entry_within_wechats_limits():
    menu = default_menu("https://wx.bank.example.cn")
    assert len(menu["button"]) <= 3 and all(len(b.get("sub_button", [])) <= 5 for b in menu["button"])
    urls = [sub.get("url") for b in menu["button"] for sub in b.get("sub_button", [])]
    assert "https://wx.bank.example.cn/h5/complaints" in urls


def test_the_form_offers_the_customers_own_transactions_and_files_one_ticket(app):
    client = signed_in(app, ALICE)
    _, _, html = open_form(client)
    with app.app_context():
        choice = service.recent_transactions(ALICE)[0]
    assert choice.value in html and "收费与价格" in html
    response, data = submit(client, transaction=choice.value)
    ticket = ticket_of(response)
    again = client.post("/h5/complaints", data=data)  # the double submit (back button, second tap)
    assert ticket_of(again) == ticket
    page = client.get(f"/h5/complaints/{ticket}").get_data(as_text=True)
    assert ticket in page and "2026-03-17" in page and "手续费多扣了" in page and choice.summary in page
    with app.app_context():
        assert counts() == (1, 1, 1) and notice_kinds() == ["filed"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"description": ""}, "description"),
    ({"description": "长" * 1001}, "description"),
    ({"category": "lottery"}, "category"),
    ({"transaction": "1:T-of-someone-else"}, "transaction"),
    ({"contact_channel": "pigeon"}, "contact_channel"),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(app, fields, field):
    response, _ = submit(signed_in(app, ALICE), **fields)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.get_data(as_text=True)
    with app.app_context():
        assert counts() == (0, 0, 0)


def test_someone_elses_transaction_is_refused(app):
    with app.app_context():
        bobs = service.recent_transactions(BOB)[0].value
    response, _ = submit(signed_in(app, ALICE), transaction=bobs)
    assert response.status_code == 400 and 'data-field="transaction"' in response.get_data(as_text=True)


def test_another_customers_ticket_is_a_404(app):
    ticket = ticket_of(submit(signed_in(app, ALICE))[0])
    bob = signed_in(app, BOB)
    assert bob.get(f"/h5/complaints/{ticket}").status_code == 404
    assert bob.get("/h5/complaints/not-a-ticket").status_code == 404
    csrf, _, _ = open_form(bob)
    assert bob.post(f"/h5/complaints/{ticket}/reopen", data={"csrf_token": csrf, "reason": "x"}).status_code == 404


def test_staff_reply_and_decision_reach_the_ticket_page_then_rating_and_one_reopening(app):
    customer = signed_in(app, ALICE)
    ticket = ticket_of(submit(customer)[0])
    with app.app_context():
        complaint_id = db.session.scalar(select(Complaint.id).where(Complaint.ticket_no == ticket))
    hq = logged_in(app, "hq_admin")
    detail = f"/admin/complaints/{complaint_id}"
    csrf = CSRF.search(hq.get(detail).get_data(as_text=True)).group(1)
    assert hq.post(f"{detail}/assign", data={"csrf_token": csrf, "branch_id": app.world.east_branch}).status_code == 303
    east = logged_in(app, "east_op")
    csrf = CSRF.search(east.get(detail).get_data(as_text=True)).group(1)
    assert east.post(f"{detail}/reply", data={"csrf_token": csrf, "body": ""}).status_code == 400
    assert east.post(f"{detail}/reply", data={"csrf_token": csrf, "body": "正在核查"}).status_code == 303
    refused = east.post(f"{detail}/extend", data={"csrf_token": csrf, "days": "60", "reason": "需要总行协调处理"})
    assert refused.status_code == 409 and "总行管理员审批" in refused.get_data(as_text=True)
    assert east.post(f"{detail}/decide", data={"csrf_token": csrf, "body": "已退回多扣手续费"}).status_code == 303
    page = customer.get(f"/h5/complaints/{ticket}").get_data(as_text=True)
    assert "正在核查" in page and "已退回多扣手续费" in page and 'data-testid="rate-form"' in page
    csrf = CSRF.search(page).group(1)
    assert customer.post(f"/h5/complaints/{ticket}/rate", data={"csrf_token": csrf, "rating": "9"}).status_code == 400
    assert customer.post(f"/h5/complaints/{ticket}/rate", data={"csrf_token": csrf, "rating": "3"}).status_code == 303
    assert customer.post(f"/h5/complaints/{ticket}/reopen",
                         data={"csrf_token": csrf, "reason": "金额不对"}).status_code == 303
    decided = east.post(f"{detail}/decide", data={"csrf_token": csrf_of(east, detail), "body": "已补退"})
    assert decided.status_code == 303
    again = customer.post(f"/h5/complaints/{ticket}/reopen", data={"csrf_token": csrf, "reason": "再次不满"})
    assert again.status_code == 409
    with app.app_context():
        assert notice_kinds() == ["filed", "assign", "reply", "decision", "reopen", "decision"]


def csrf_of(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def test_the_queue_scope_the_red_overdue_clock_and_the_report(app, clock):
    world = app.world
    with app.app_context():
        hq = world.staff(world.hq)
        east_one = service.file_complaint(ALICE, form())
        west_one = service.file_complaint(BOB, form(category="privacy"))
        service.assign(hq, east_one, world.east_branch)
        service.assign(hq, west_one, world.west_branch)
        east_id, west_id, east_ticket, west_ticket = east_one.id, west_one.id, east_one.ticket_no, west_one.ticket_no
    clock.advance(days=17)  # two days past the 15
    head = logged_in(app, "hq_admin").get("/admin/complaints/").get_data(as_text=True)
    assert east_ticket in head and west_ticket in head and head.count('data-testid="overdue"') == 2
    assert "已超期 2 天" in head and "table-danger" in head
    east = logged_in(app, "east_op")
    queue = east.get("/admin/complaints/").get_data(as_text=True)
    assert east_ticket in queue and west_ticket not in queue
    assert east.get(f"/admin/complaints/{west_id}").status_code == 404
    assert east.get(f"/admin/complaints/{east_id}").status_code == 200
    assert east.get("/admin/complaints/report.csv?month=2026-03").status_code == 403
    report = logged_in(app, "hq_admin").get("/admin/complaints/report.csv?month=2026-03")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert {(r["branch_code"], r["category"], r["overdue"]) for r in rows} == {("9101", "fees", "1"),
                                                                               ("9102", "privacy", "1")}
    assert logged_in(app, "hq_admin").get("/admin/complaints/report.csv?month=March").status_code == 400




def test_the_dashboard_counts_open_and_overdue_complaints(app, clock):
    with app.app_context():
        service.assign(app.world.staff(app.world.hq), service.file_complaint(ALICE, form()), app.world.east_branch)
        service.file_complaint(BOB, form())
    clock.advance(days=16)
    head = logged_in(app, "hq_admin").get("/admin/").get_data(as_text=True)
    assert re.search(r'data-testid="complaints-open"[^>]*>\s*2\s*<', head)
    assert re.search(r'data-testid="complaints-overdue"[^>]*>\s*2\s*<', head)
    west = logged_in(app, "west_op").get("/admin/").get_data(as_text=True)
    assert re.search(r'data-testid="complaints-open"[^>]*>\s*0\s*<', west)
