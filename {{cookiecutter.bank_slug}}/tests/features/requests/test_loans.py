"""Loan applications: the H5 form refuses every bad field with its name (400, nothing stored), a double
submission is one record, staff move it along the legal transitions with a note in their branch's queue only,
and every change is an outbox notice (and an audit entry); the customer withdraws an open application."""

import json
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.requests import notify
from {{ cookiecutter.bank_slug }}.features.requests.models import BranchRequest, RequestEvent, RequestProduct
from {{ cookiecutter.bank_slug }}.outbox.models import Notice
from {{ cookiecutter.bank_slug }}.outbox.topics import Recipient, payload_of
from {{ cookiecutter.bank_slug }}.wechat.template_rules import value_problem

from .conftest import EAST_OPENID, csrf, customer, logged_in

GOOD = {"amount": "50000", "term": "24", "purpose": "装修", "contact_time": "工作日上午", "branch": "8801",
        "consent": "1"}


def _apply(client, product_id, token_page="/h5/requests/loan", **changes):
    data = {**GOOD, "product": str(product_id), **changes}
    data = {key: value for key, value in data.items() if value is not None}
    return client.post("/h5/requests/loan", data={"csrf_token": csrf(client, token_page), **data})


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "50000.001"}, "amount"),  # not fen-exact
    ({"amount": "abc"}, "amount"),
    ({"amount": "9999.99"}, "amount"),  # below the product's minimum
    ({"amount": "500000.01"}, "amount"),  # above the maximum
    ({"term": "0"}, "term"),
    ({"term": "61"}, "term"),
    ({"purpose": ""}, "purpose"),
    ({"contact_time": "x" * 41}, "contact_time"),
    ({"branch": "9999"}, "branch"),
    ({"consent": None}, "consent"),
    ({"product": "0"}, "product"),
])
def test_bad_loan_fields_are_refused_by_name_and_nothing_is_stored(setup, changes, field):
    panel, product_id, _day, _slots = setup
    client = customer(panel.app, EAST_OPENID)
    response = _apply(client, product_id, **changes)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.get_data(as_text=True)
    assert _count(panel.app, BranchRequest) == 0 and _count(panel.app, Notice) == 0


def test_unbound_customer_cannot_apply(setup):
    panel, product_id, day, _slots = setup
    client = customer(panel.app, "o-nobody-000000000000000001")
    assert 'data-testid="not-bound"' in client.get("/h5/requests/loan").get_data(as_text=True)
    token_page = f"/h5/requests/card?branch=8801&day={day.isoformat()}"
    assert _apply(client, product_id, token_page=token_page).status_code == 400
    assert _count(panel.app, BranchRequest) == 0


def test_application_its_status_changes_notices_and_withdrawal(setup):
    panel, product_id, _day, _slots = setup
    app = panel.app
    client = customer(app, EAST_OPENID)
    form = client.get("/h5/requests/loan").get_data(as_text=True)
    assert "6228 **** **** 1111" in form and "138****8000" in form  # masked, prefilled from the binding
    first = _apply(client, product_id)
    assert first.status_code == 303
    again = _apply(client, product_id, amount="60000")  # a double submission
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        loan = db.session.scalar(select(BranchRequest))
        assert _count(app, BranchRequest) == 1 and loan.amount_fen == 5_000_000
        assert loan.reference.startswith("DK") and len(loan.reference) == 16
        loan_id, reference = loan.id, loan.reference
    assert reference in client.get(f"/h5/requests/{loan_id}").get_data(as_text=True)

    west = logged_in(app, panel.west)
    assert reference not in west.get("/admin/request_loans/").get_data(as_text=True)
    token = csrf(west, "/admin/request_loans/")
    refused = west.post(f"/admin/request_loans/{loan_id}/status",
                        data={"csrf_token": token, "status": "contacted", "note": "x"})
    assert refused.status_code == 404  # another branch's request

    east = logged_in(app, panel.east)
    assert reference in east.get("/admin/request_loans/").get_data(as_text=True)
    token = csrf(east, "/admin/request_loans/")

    def move(status, note="已电话联系"):
        return east.post(f"/admin/request_loans/{loan_id}/status",
                         data={"csrf_token": token, "status": status, "note": note})

    assert move("approved_offline").status_code == 400  # received -> approved is not a legal step
    assert move("contacted", note="").status_code == 400  # a note is required
    for status in ("contacted", "in_review"):
        assert move(status).status_code == 303
    page = client.get(f"/h5/requests/{loan_id}").get_data(as_text=True)
    assert 'data-status="in_review"' in page and "已电话联系" in page

    with app.app_context():
        notices = list(db.session.scalars(select(Notice).where(Notice.topic == notify.TOPIC_NAME)
                                          .order_by(Notice.id)))
        assert [payload_of(n)["status"] for n in notices] == ["received", "contacted", "in_review"]
        assert all(n.openid == EAST_OPENID for n in notices)
        text = notify.notice_text(payload_of(notices[-1]), app.config)
        assert reference in text and "审核中" in text and "已电话联系" in text
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.target_type == "branch_request")) == 3

    # the customer withdraws; the request is closed and a new one may be made
    token = csrf(client, f"/h5/requests/{loan_id}")
    assert client.post(f"/h5/requests/{loan_id}/cancel", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/h5/requests/{loan_id}/cancel", data={"csrf_token": token}).status_code == 409
    assert move("approved_offline").status_code == 400  # withdrawn is final
    with app.app_context():
        loan = db.session.get(BranchRequest, loan_id)
        assert loan.status == "withdrawn" and loan.open_key is None
        assert [e.status for e in db.session.scalars(select(RequestEvent).order_by(RequestEvent.id))] == [
            "received", "contacted", "in_review", "withdrawn"]
        assert _count(app, Notice) == 4
    assert _apply(client, product_id).status_code == 303
    assert _count(app, BranchRequest) == 2


def test_head_office_sees_every_branch_and_approves(setup):
    panel, product_id, _day, _slots = setup
    app = panel.app
    client = customer(app, EAST_OPENID)
    _apply(client, product_id)
    with app.app_context():
        loan_id = db.session.scalar(select(BranchRequest.id))
    head = logged_in(app, panel.head)
    token = csrf(head, "/admin/request_loans/")
    for status in ("in_review", "approved_offline"):
        data = {"csrf_token": token, "status": status, "note": "请携带收入证明到网点签约"}
        assert head.post(f"/admin/request_loans/{loan_id}/status", data=data).status_code == 303
    with app.app_context():
        last = db.session.scalars(select(Notice).order_by(Notice.id.desc())).first()
        assert "线下审批通过" in notify.notice_text(payload_of(last), app.config)
    assert 'data-status="approved_offline"' in client.get(f"/h5/requests/{loan_id}").get_data(as_text=True)
    dashboard = head.get("/admin/").get_data(as_text=True)
    assert "requests-loans-open" in dashboard


def test_template_notice_fits_wechat_rules(make_app):
    """With REQUESTS_TEMPLATE_ID the notice is a template message whose values fit the keyword types."""
    app = make_app(REQUESTS_TEMPLATE_ID="tmpl_request_status")
    payload = {"request_id": 7, "reference": "DK20261204000007", "kind": "loan", "status": "approved_offline",
               "note": "请携带收入证明、身份证到网点签约，谢谢配合", "reminder": False}
    row = SimpleNamespace(payload=json.dumps(payload, ensure_ascii=False), occurred_at=datetime(2026, 12, 4, 2, 0))
    with app.app_context():
        assert notify.TOPIC.template_id(app.config) == "tmpl_request_status"
        body = notify.TOPIC.template_payload(row, Recipient("o-x"), app.config)
    assert body["template_id"] == "tmpl_request_status" and body["url"].endswith("/h5/requests/7")
    assert body["data"]["character_string1"]["value"] == "DK20261204000007"
    assert body["data"]["phrase3"]["value"] == "审批通过"
    for keyword, value in body["data"].items():
        assert value_problem(keyword, value["value"]) is None, (keyword, value)


def test_head_office_keeps_the_product_list(setup):
    panel, _product_id, _day, _slots = setup
    app = panel.app
    head = logged_in(app, panel.head)
    token = csrf(head, "/admin/request_products/new/")
    form = {"csrf_token": token, "name": "个人经营贷款", "min_fen": "5000000", "max_fen": "1000000",
            "max_term_months": "60", "sort_order": "1", "active": "y"}
    assert head.post("/admin/request_products/new/", data=form).status_code < 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RequestProduct)) == 1  # min above max: refused
    form["max_fen"] = "100000000"
    assert head.post("/admin/request_products/new/", data=form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RequestProduct)) == 2
    east = logged_in(app, panel.east)
    assert east.get("/admin/request_products/").status_code == 403  # head office only
    assert "个人经营贷款" in customer(app, EAST_OPENID).get("/h5/requests/loan").get_data(as_text=True)
