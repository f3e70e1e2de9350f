"""网点管理 in the panel: head office only; create, edit (the code fixed), close and reopen, each audited;
bad input answered with the form and a reason."""

import json

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db

from .conftest import csrf_of, logged_in

FORM = {"code": "9901", "name": "新区支行", "address": "新区大道 9 号", "phone": "0571-8800 9901",
        "opening_hours": "周一至周五 9:00-17:00", "latitude": "30.3", "longitude": "120.2"}


def stored(app, code):
    with app.app_context():
        row = db.session.execute(select(Branch).where(Branch.code == code)).scalar_one_or_none()
        if row is not None:
            db.session.expunge(row)
        return row


def branch_audit(app):
    with app.app_context():
        return [(row.action, row.staff_username, json.loads(row.after or "null"))
                for row in db.session.execute(select(AuditLog).where(AuditLog.target_type == "bank_branch")
                                              .order_by(AuditLog.id)).scalars()]


def test_branch_operators_cannot_see_the_page(panel):
    client = logged_in(panel.app, panel.east)
    assert client.get("/admin/branches/").status_code == 403
    assert client.get("/admin/branches/new/").status_code == 403


def test_head_office_creates_edits_closes_and_reopens_a_branch(panel):
    client = logged_in(panel.app, panel.head)
    listing = client.get("/admin/branches/").get_data(as_text=True)
    assert "东街支行" in listing and "西街支行" in listing
    token = csrf_of(client, "/admin/branches/new/")
    created = client.post("/admin/branches/new/", data={"csrf_token": token, **FORM})
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    row = stored(panel.app, "9901")
    assert (row.name, row.latitude, row.longitude, row.closed_at) == ("新区支行", 30.3, 120.2, None)

    edit_page = client.get(f"/admin/branches/edit/?id={row.id}").get_data(as_text=True)
    assert 'name="code"' not in edit_page and 'value="30.300000"' in edit_page
    token = csrf_of(client, f"/admin/branches/edit/?id={row.id}")
    edited = client.post(f"/admin/branches/edit/?id={row.id}",
                         data={"csrf_token": token, **FORM, "code": "0000", "name": "新区分理处", "latitude": "",
                               "longitude": ""})
    assert edited.status_code == 302
    row = stored(panel.app, "9901")
    assert row.name == "新区分理处" and row.latitude is None and row.longitude is None
    assert stored(panel.app, "0000") is None

    token = csrf_of(client, "/admin/branches/")
    closed = client.post("/admin/branches/action/", data={"csrf_token": token, "action": "close",
                                                           "rowid": str(row.id)})
    assert closed.status_code == 302
    assert stored(panel.app, "9901").closed_at is not None
    reopened = client.post("/admin/branches/action/", data={"csrf_token": token, "action": "reopen",
                                                             "rowid": str(row.id)})
    assert reopened.status_code == 302
    assert stored(panel.app, "9901").closed_at is None
    log = branch_audit(panel.app)
    assert [action for action, *_ in log] == ["create", "update", "close", "reopen"]
    assert {actor for _, actor, _ in log} == {panel.head}


def test_closing_a_branch_with_operators_is_refused_with_the_reason(panel):
    client = logged_in(panel.app, panel.head)
    token = csrf_of(client, "/admin/branches/")
    response = client.post("/admin/branches/action/", data={"csrf_token": token, "action": "close",
                                                             "rowid": str(panel.east_branch.id)},
                           follow_redirects=True)
    assert "个启用的网点操作员" in response.get_data(as_text=True)
    assert stored(panel.app, panel.east_branch.code).closed_at is None
    assert branch_audit(panel.app) == []


def test_bad_values_are_answered_with_the_form_and_a_reason(panel):
    client = logged_in(panel.app, panel.head)
    token = csrf_of(client, "/admin/branches/new/")
    for changes, reason in (({"code": "99-01"}, "1-16 位字母或数字"), ({"latitude": "95"}, "须在"),
                            ({"longitude": ""}, "同时填写"), ({"code": panel.east_branch.code}, "存在"),
                            ({"phone": "<script>"}, "电话号码")):
        response = client.post("/admin/branches/new/", data={"csrf_token": token, **FORM, **changes})
        assert response.status_code == 200, changes
        assert reason in response.get_data(as_text=True), changes
    assert stored(panel.app, "9901") is None and stored(panel.app, "99-01") is None
    assert branch_audit(panel.app) == []
