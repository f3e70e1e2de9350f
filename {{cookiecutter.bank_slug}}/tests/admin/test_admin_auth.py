"""Staff login, the captcha after failed logins, the idle timeout, logout and CSRF on /admin."""

import time

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin import captcha
from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog, LoginFailure
from {{ cookiecutter.bank_slug }}.admin.auth import SESSION_SEEN
from {{ cookiecutter.bank_slug }}.extensions import db

from .conftest import PASSWORD, csrf_of, logged_in, login

GENERIC_REFUSAL = "用户名或密码错误"


def audit_actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(AuditLog).order_by(AuditLog.id)).scalars()
        return [(row.action, row.staff_username) for row in rows]


def test_anonymous_is_sent_to_the_login_page(panel):
    client = panel.app.test_client()
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    page = client.get("/admin/login")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    assert 'name="captcha"' not in page.get_data(as_text=True)


def test_login_with_the_right_password_opens_the_dashboard(panel):
    client = panel.app.test_client()
    response = login(client, panel.head)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert "员工hq_admin" in dashboard.get_data(as_text=True)
    assert ("login", "hq_admin") in audit_actions(panel.app)


def test_login_goes_on_to_the_page_asked_for_but_never_off_site(panel):
    client = panel.app.test_client()
    first = client.get("/admin/customers/")
    assert first.status_code == 302
    token = csrf_of(client)
    ok = client.post("/admin/login", data={"csrf_token": token, "username": panel.head, "password": PASSWORD,
                                           "next": "/admin/customers/"})
    assert ok.headers["Location"].endswith("/admin/customers/")
    other = panel.app.test_client()
    token = csrf_of(other)
    away = other.post("/admin/login", data={"csrf_token": token, "username": panel.head, "password": PASSWORD,
                                            "next": "//evil.example/admin"})
    assert away.headers["Location"].endswith("/admin/")


def test_wrong_password_unknown_user_and_inactive_user_get_one_generic_refusal(panel):
    for username, password in ((panel.head, "wrong-password-1"), ("nobody_here", PASSWORD), ("gone_op", PASSWORD)):
        client = panel.app.test_client()
        response = login(client, username, password)
        assert response.status_code == 401
        text = response.get_data(as_text=True)
        assert GENERIC_REFUSAL in text and "不存在" not in text and "停用" not in text
        assert client.get("/admin/").status_code == 302
    actions = audit_actions(panel.app)
    assert actions.count(("login_failed", "hq_admin")) == 1 and ("login_failed", "nobody_here") in actions
    assert ("login_failed", "gone_op") in actions


def test_blank_fields_are_refused(panel):
    client = panel.app.test_client()
    response = login(client, "", "")
    assert response.status_code == 400 and "请输入用户名和密码" in response.get_data(as_text=True)


def test_three_failures_for_a_username_ask_for_a_captcha(panel, monkeypatch):
    client = panel.app.test_client()
    for _ in range(3):
        response = login(client, panel.east, "wrong-password-1")
        assert response.status_code == 401
    assert 'name="captcha"' in response.get_data(as_text=True)

    other_ip = panel.app.test_client()  # another address: the username alone triggers the captcha
    other_ip.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    blocked = login(other_ip, panel.east, PASSWORD)
    assert blocked.status_code == 400 and "请输入图形验证码" in blocked.get_data(as_text=True)

    monkeypatch.setattr(captcha, "new_answer", lambda: "AC34")
    image = client.get("/admin/login/captcha.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"
    with client.session_transaction() as session:
        assert "AC34" not in str(dict(session))
    wrong = login(client, panel.east, PASSWORD, captcha="XXXX")
    assert wrong.status_code == 400 and "图形验证码不正确" in wrong.get_data(as_text=True)
    client.get("/admin/login/captcha.png")
    ok = login(client, panel.east, PASSWORD, captcha="ac34")
    assert ok.status_code == 303
    with panel.app.app_context():  # a good login forgets the username's failures
        assert db.session.execute(select(LoginFailure).where(LoginFailure.username == "east_op")).first() is None


def test_three_failures_from_one_ip_ask_for_a_captcha_for_any_username(panel):
    client = panel.app.test_client()
    for name in ("a_user", "b_user", "c_user"):
        login(client, name, "whatever-password")
    page = client.get("/admin/login")
    assert 'name="captcha"' in page.get_data(as_text=True)
    response = login(client, panel.head, PASSWORD)
    assert response.status_code == 400 and "请输入图形验证码" in response.get_data(as_text=True)


def test_an_idle_session_ends_after_admin_session_minutes(panel):
    client = logged_in(panel.app, panel.head)
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session[SESSION_SEEN] = int(time.time()) - panel.app.config["ADMIN_SESSION_MINUTES"] * 60 - 5
    expired = client.get("/admin/customers/")
    assert expired.status_code == 302 and "/admin/login" in expired.headers["Location"]
    assert "expired=1" in expired.headers["Location"]
    with client.session_transaction() as session:
        assert "_user_id" not in session and SESSION_SEEN not in session
    assert client.get("/admin/").status_code == 302
    page = client.get(expired.headers["Location"])
    assert "登录已超时" in page.get_data(as_text=True)


def test_activity_keeps_the_session_alive(panel):
    client = logged_in(panel.app, panel.head)
    with client.session_transaction() as session:
        session[SESSION_SEEN] = int(time.time()) - panel.app.config["ADMIN_SESSION_MINUTES"] * 60 + 30
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        assert session[SESSION_SEEN] >= int(time.time()) - 5


def test_a_deactivated_account_is_logged_out_at_its_next_request(panel):
    client = logged_in(panel.app, panel.east)
    with panel.app.app_context():
        from {{ cookiecutter.bank_slug }}.admin.models import StaffUser

        user = db.session.execute(select(StaffUser).where(StaffUser.username == panel.east)).scalar_one()
        user.active = False
        db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_logout_is_a_post_and_clears_the_whole_session(panel):
    client = logged_in(panel.app, panel.head)
    with client.session_transaction() as session:
        session["something_else"] = "kept by another page"
    assert client.get("/admin/logout").status_code == 405
    token = csrf_of(client, "/admin/")
    response = client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303 and "/admin/login" in response.headers["Location"]
    with client.session_transaction() as session:
        assert dict(session) == {}
    assert client.get("/admin/").status_code == 302
    assert ("logout", "hq_admin") in audit_actions(panel.app)


def test_a_post_without_csrf_token_is_a_400_with_the_reason(panel):
    client = panel.app.test_client()
    refused = client.post("/admin/login", data={"username": panel.head, "password": PASSWORD})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not logged in

    client = logged_in(panel.app, panel.head)
    refused = client.post("/admin/logout")
    assert refused.status_code == 400 and "安全校验" in refused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200  # still logged in: nothing happened


def test_an_instance_without_the_panel_has_no_admin_routes(make_app):
    public = make_app(ADMIN_PANEL_ENABLED="0").test_client()
    assert public.get("/admin/").status_code == 404
    assert public.get("/admin/login").status_code == 404
    internal = make_app(ADMIN_PANEL_ENABLED="1").test_client()
    assert internal.get("/admin/login").status_code == 200
