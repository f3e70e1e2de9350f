"""Writes through the panel are audited with masked before/after; the audit log itself cannot be changed;
staff users are created with hashed passwords; bindings are unbound with a reason."""

import json

from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin import audit
from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.admin.models import StaffUser
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding

from .conftest import PASSWORD, csrf_of, logged_in, login


def last_audit(app, action: str) -> AuditLog:
    with app.app_context():
        row = db.session.execute(select(AuditLog).where(AuditLog.action == action)
                                 .order_by(AuditLog.id.desc())).scalars().first()
        assert row is not None, f"no {action} in the audit log"
        db.session.expunge(row)
        return row


def audit_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def test_unbinding_needs_a_reason_and_is_audited_with_masked_values(panel):
    client = logged_in(panel.app, panel.east)
    binding_id = panel.east_branch.binding_id
    page = client.get(f"/admin/bindings/unbind/?id={binding_id}")
    assert page.status_code == 200 and 'name="reason"' in page.get_data(as_text=True)
    token = csrf_of(client, f"/admin/bindings/unbind/?id={binding_id}")
    blank = client.post(f"/admin/bindings/unbind/?id={binding_id}", data={"csrf_token": token, "reason": " "})
    assert blank.status_code == 400 and "请填写解绑原因" in blank.get_data(as_text=True)
    too_long = client.post(f"/admin/bindings/unbind/?id={binding_id}", data={"csrf_token": token, "reason": "长" * 201})
    assert too_long.status_code == 400 and "不能超过" in too_long.get_data(as_text=True)
    no_csrf = client.post(f"/admin/bindings/unbind/?id={binding_id}", data={"reason": "客户临柜申请"})
    assert no_csrf.status_code == 400
    with panel.app.app_context():
        assert db.session.get(CardBinding, binding_id).status == "active"

    done = client.post(f"/admin/bindings/unbind/?id={binding_id}",
                       data={"csrf_token": token, "reason": "客户临柜申请解绑 13800138000"})
    assert done.status_code == 303
    with panel.app.app_context():
        binding = db.session.get(CardBinding, binding_id)
        assert binding.status == "unbound" and binding.unbound_at is not None
        assert binding.unbind_reason == "客户临柜申请解绑 138****8000"
    entry = last_audit(panel.app, "unbind")
    assert entry.staff_username == "east_op" and entry.target_type == "card_binding"
    assert entry.target_id == str(binding_id)
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert before["status"] == "active" and after["status"] == "unbound"
    assert after["unbind_reason"] == "客户临柜申请解绑 138****8000"
    assert "o-east-customer-0001" not in entry.before + entry.after and before["openid"] == "o-ea****0001"

    again = client.post(f"/admin/bindings/unbind/?id={binding_id}", data={"csrf_token": token, "reason": "再次解绑"})
    assert again.status_code == 302  # already unbound: back to the detail page, nothing written
    assert audit_count(panel.app) == audit_count(panel.app)


def test_head_office_creates_a_staff_user_with_a_hashed_password(panel):
    client = logged_in(panel.app, panel.head)
    form = client.get("/admin/staff/new/").get_data(as_text=True)
    assert "password_hash" not in form
    token = csrf_of(client, "/admin/staff/new/")
    data = {"csrf_token": token, "username": "north_op", "display_name": "张三丰", "role": "branch_operator",
            "branch": str(panel.east_branch.id), "active": "y", "password": "a-long-password-1"}
    created = client.post("/admin/staff/new/", data=data)
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    with panel.app.app_context():
        user = db.session.execute(select(StaffUser).where(StaffUser.username == "north_op")).scalar_one()
        assert user.password_hash != "a-long-password-1" and user.check_password("a-long-password-1")
        assert user.branch_id == panel.east_branch.id and user.role == "branch_operator"
    entry = last_audit(panel.app, "create")
    assert entry.target_type == "staff_user" and entry.before is None
    after = json.loads(entry.after)
    assert after["display_name"] == "张**" and after["username"] == "north_op"
    assert "password_hash" not in after and "a-long-password-1" not in entry.after
    listing = client.get("/admin/staff/").get_data(as_text=True)
    assert "north_op" in listing and "scrypt:" not in listing and "pbkdf2:" not in listing
    assert login(panel.app.test_client(), "north_op", "a-long-password-1").status_code == 303


def test_panel_forms_without_csrf_token_are_refused(panel):
    client = logged_in(panel.app, panel.head)
    data = {"username": "no_csrf", "display_name": "无令牌", "role": "head_office", "branch": "", "active": "y",
            "password": "a-long-password-1"}
    refused = client.post("/admin/staff/new/", data=data)
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    with panel.app.app_context():
        assert db.session.execute(select(StaffUser).where(StaffUser.username == "no_csrf")).first() is None


def test_bad_staff_forms_store_nothing(panel):
    client = logged_in(panel.app, panel.head)
    token = csrf_of(client, "/admin/staff/new/")
    base = {"csrf_token": token, "username": "new_user", "display_name": "新员工", "role": "branch_operator",
            "branch": str(panel.east_branch.id), "active": "y", "password": "a-long-password-1"}
    cases = [
        ({"password": "short"}, "密码至少 10 位"),
        ({"password": ""}, "必须设置密码"),
        ({"username": "east_op"}, "已经存在"),  # Flask-Admin's unique check
        ({"branch": ""}, "必须选择所属网点"),
        ({"username": "<script>"}, "用户名为 2-64 位"),
        ({"username": "ok<b>x"}, "用户名为 2-64 位"),
        ({"role": "superuser"}, ""),
    ]
    before = audit_count(panel.app)
    for change, text in cases:
        response = client.post("/admin/staff/new/", data={**base, **change}, follow_redirects=False)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, change
        assert text in body, (change, text)
        assert "<script>" not in body.replace("&lt;script&gt;", "")
    with panel.app.app_context():
        assert db.session.execute(select(StaffUser).where(StaffUser.username == "new_user")).first() is None
    assert audit_count(panel.app) == before


def test_deactivating_a_staff_user_is_audited_and_nobody_deactivates_themselves(panel):
    client = logged_in(panel.app, panel.head)
    with panel.app.app_context():
        east_id = db.session.execute(select(StaffUser.id).where(StaffUser.username == "east_op")).scalar_one()
        head_id = db.session.execute(select(StaffUser.id).where(StaffUser.username == "hq_admin")).scalar_one()
    token = csrf_of(client, f"/admin/staff/edit/?id={east_id}")
    edited = client.post(f"/admin/staff/edit/?id={east_id}",
                         data={"csrf_token": token, "username": "east_op", "display_name": "员工east_op",
                               "role": "branch_operator", "branch": str(panel.east_branch.id), "password": ""})
    assert edited.status_code == 302
    with panel.app.app_context():
        user = db.session.get(StaffUser, east_id)
        assert user.active is False and user.check_password(PASSWORD)  # a blank password changes nothing
    entry = last_audit(panel.app, "update")
    assert json.loads(entry.before)["active"] is True and json.loads(entry.after)["active"] is False
    assert json.loads(entry.before)["display_name"] == "员" + "*" * 8
    assert login(panel.app.test_client(), "east_op").status_code == 401

    myself = client.post(f"/admin/staff/edit/?id={head_id}",
                         data={"csrf_token": token, "username": "hq_admin", "display_name": "员工hq_admin",
                               "role": "head_office", "branch": "", "password": ""})
    assert myself.status_code == 200 and "不能停用自己的账号" in myself.get_data(as_text=True)
    with panel.app.app_context():
        assert db.session.get(StaffUser, head_id).active is True


def test_the_audit_log_is_read_only(panel):
    client = logged_in(panel.app, panel.head)
    before = audit_count(panel.app)
    entry_id = last_audit(panel.app, "login").id
    listing = client.get("/admin/audit_log/")
    assert listing.status_code == 200 and "hq_admin" in listing.get_data(as_text=True)
    assert client.get(f"/admin/audit_log/details/?id={entry_id}").status_code == 200
    token = csrf_of(client, "/admin/audit_log/")
    assert client.get("/admin/audit_log/new/").status_code == 403
    assert client.post("/admin/audit_log/new/", data={"csrf_token": token, "action": "x"}).status_code == 403
    assert client.get(f"/admin/audit_log/edit/?id={entry_id}").status_code == 403
    assert client.post(f"/admin/audit_log/edit/?id={entry_id}",
                       data={"csrf_token": token, "action": "forged"}).status_code == 403
    assert client.post("/admin/audit_log/delete/", data={"csrf_token": token, "id": entry_id}).status_code == 403
    bulk = client.post("/admin/audit_log/action/", data={"csrf_token": token, "action": "delete", "rowid": entry_id})
    assert bulk.status_code in (302, 403, 404)
    assert client.get("/admin/audit_log/export/csv/").status_code == 403
    with panel.app.app_context():
        assert db.session.get(AuditLog, entry_id).action == "login"
    assert audit_count(panel.app) == before


def test_audit_record_masks_pii_and_drops_secrets(app):
    with app.test_request_context("/admin/"):
        entry = audit.record("update", "customer", 7,
                             {"name": "王小明", "id_number": "110101199001011234", "phone": "13800138000",
                              "card_number": "6228480402564890018", "password_hash": "scrypt:xyz", "pin": "123456"},
                             {"name": "王小明", "memo": "转给 6228480402564890018", "branch_code": "8801"},
                             staff=None, actor_username="system")
        before, after = json.loads(entry.before), json.loads(entry.after)
        assert before == {"name": "王**", "id_number": "1****************4", "phone": "138****8000",
                          "card_number": "6228 **** **** 0018"}
        assert after == {"name": "王**", "memo": "转给 6228 **** **** 0018", "branch_code": "8801"}
        product = audit.mask_values({"name": "稳健理财 1 号"}, "product")
        assert product == {"name": "稳健理财 1 号"}  # only people's names are masked
