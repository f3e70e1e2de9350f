"""TRUSTED_PROXIES: behind nginx, the client's address comes from X-Forwarded-For (set by the proxy), so the
per-IP captcha and the audit log see customers and staff, not the proxy; without it the header is ignored,
so nobody can pick their own address."""

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db

from .conftest import PASSWORD, login

STAFF_PC = "10.20.30.40"
ATTACKER = "203.0.113.9"


@pytest.fixture(params=["0", "1"], ids=["no-proxy", "one-proxy"])
def app(request, make_app):
    return make_app(ADMIN_PANEL_ENABLED="1", TRUSTED_PROXIES=request.param)


def _client(app, forwarded_for: str):
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for  # what nginx adds; REMOTE_ADDR stays the proxy's
    return client


def test_failures_count_against_the_forwarded_address_only_behind_a_trusted_proxy(panel):
    attacker = _client(panel.app, ATTACKER)
    for name in ("a_user", "b_user", "c_user"):
        assert login(attacker, name, "whatever-password").status_code == 401
    assert 'name="captcha"' in attacker.get("/admin/login").get_data(as_text=True)
    staff_page = _client(panel.app, STAFF_PC).get("/admin/login").get_data(as_text=True)
    behind_proxy = panel.app.config["TRUSTED_PROXIES"] == 1
    # Behind the proxy the staff member's own address is clean; without it everyone shares the proxy's.
    assert ('name="captcha"' in staff_page) is not behind_proxy


def test_the_audit_log_records_the_forwarded_address_only_behind_a_trusted_proxy(panel):
    response = login(_client(panel.app, STAFF_PC), panel.head, PASSWORD)
    assert response.status_code == 303
    with panel.app.app_context():
        recorded = db.session.scalars(select(AuditLog.ip).order_by(AuditLog.id.desc())).first()
    behind_proxy = panel.app.config["TRUSTED_PROXIES"] == 1
    assert (recorded == STAFF_PC) is behind_proxy
    assert recorded != ""
