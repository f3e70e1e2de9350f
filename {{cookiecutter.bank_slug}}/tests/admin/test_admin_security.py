"""Hostile staff-side input: a replayed captcha, password guessing (lock-out, alert, unlock), sessions that
must end server-side, and look-alike usernames."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin import captcha
from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.admin.models import StaffUser, clean_username, username_key
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from .conftest import PASSWORD, csrf_of, logged_in, login

SESSION_COOKIE = "session"


def cookie(client) -> str:
    return client.get_cookie(SESSION_COOKIE).value


def restore(client, value: str) -> None:
    client.set_cookie(SESSION_COOKIE, value)


def staff(app, username: str) -> StaffUser:
    with app.app_context():
        user = db.session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one()
        db.session.expunge(user)
        return user


def audit_rows(app, action: str) -> list[AuditLog]:
    with app.app_context():
        return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def fail_until_captcha(client, username: str) -> None:
    for _ in range(3):
        assert login(client, username, "wrong-password-x").status_code == 401


# -- the captcha is single-use on the server ------------------------------------------------------------
def test_a_solved_login_captcha_cannot_be_replayed_with_the_old_cookie(panel, monkeypatch):
    client = panel.app.test_client()
    fail_until_captcha(client, "nobody_at_all")  # the IP now needs a captcha for every username
    monkeypatch.setattr(captcha, "new_answer", lambda: "AC34")
    client.get("/admin/login/captcha.png")
    token = csrf_of(client)
    before_submit = cookie(client)
    first = client.post("/admin/login", data={"csrf_token": token, "username": panel.east,
                                              "password": "guess-number-1", "captcha": "AC34"})
    assert first.status_code == 401  # the captcha was right, the password not
    for guess in range(2, 6):  # the attacker replays the cookie from before the submit
        restore(client, before_submit)
        again = client.post("/admin/login", data={"csrf_token": token, "username": panel.east,
                                                  "password": f"guess-number-{guess}", "captcha": "AC34"})
        assert again.status_code == 400 and "图形验证码不正确" in again.get_data(as_text=True)
    restore(client, before_submit)
    right = client.post("/admin/login", data={"csrf_token": token, "username": panel.east, "password": PASSWORD,
                                              "captcha": "AC34"})
    assert right.status_code == 400  # even the right password: that captcha is used up
    assert len(audit_rows(panel.app, "login_failed")) == 4  # 3 before the captcha, 1 with it


def test_the_captcha_answer_is_not_in_the_cookie_and_expires(panel, monkeypatch):
    from {{ cookiecutter.bank_slug }}.web.captcha import CAPTCHA_LIFETIME, CaptchaChallenge

    client = panel.app.test_client()
    fail_until_captcha(client, panel.east)
    monkeypatch.setattr(captcha, "new_answer", lambda: "AC34")
    client.get("/admin/login/captcha.png")
    with client.session_transaction() as session:
        assert "AC34" not in str(dict(session))
    with panel.app.app_context():
        (row,) = db.session.scalars(select(CaptchaChallenge))
        assert "AC34" not in row.digest
        row.created_at -= CAPTCHA_LIFETIME + timedelta(seconds=1)
        db.session.commit()
    late = login(client, panel.east, PASSWORD, captcha="AC34")
    assert late.status_code == 400 and "图形验证码不正确" in late.get_data(as_text=True)


# -- lock-out -------------------------------------------------------------------------------------------
def guess_with_captcha(client, username: str, password: str, monkeypatch):
    monkeypatch.setattr(captcha, "new_answer", lambda: "AC34")
    client.get("/admin/login/captcha.png")
    return login(client, username, password, captcha="AC34")


def test_five_wrong_passwords_lock_the_account_alert_and_head_office_unlocks(panel, monkeypatch, caplog):
    attacker = panel.app.test_client()
    fail_until_captcha(attacker, panel.east)
    with caplog.at_level(logging.WARNING, logger="{{ cookiecutter.bank_slug }}.admin.auth"):
        for n in (4, 5):
            response = guess_with_captcha(attacker, panel.east, f"wrong-password-{n}", monkeypatch)
            assert response.status_code == 401
    assert any("locked" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    user = staff(panel.app, panel.east)
    assert user.locked_until is not None and user.locked_until > utcnow() + timedelta(minutes=14)
    (locked,) = audit_rows(panel.app, "account_locked")
    assert locked.target_id == str(user.id)

    # the right password does not open a locked account, and the page says nothing different
    owner = panel.app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    refused = guess_with_captcha(owner, panel.east, PASSWORD, monkeypatch)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 401 and "用户名或密码错误" in text and "锁定 15 分钟" in text
    assert audit_rows(panel.app, "login_locked")

    # head office sees it in the staff list and the audit log, and unlocks
    head = panel.app.test_client()
    head.environ_base["REMOTE_ADDR"] = "10.0.0.9"  # the head office's desk: no failures from there
    assert login(head, panel.head).status_code == 303
    listing = head.get("/admin/staff/").get_data(as_text=True)
    assert "已锁定至" in listing
    dashboard = head.get("/admin/").get_data(as_text=True)
    assert "登录锁定中的员工账号" in dashboard and 'data-testid="locked-staff">1<' in dashboard
    assert "账号被锁定" in head.get("/admin/audit_log/").get_data(as_text=True)
    token = csrf_of(head, "/admin/staff/")
    done = head.post("/admin/staff/action/", data={"csrf_token": token, "action": "unlock", "rowid": str(user.id)})
    assert done.status_code == 302
    assert staff(panel.app, panel.east).locked_until is None and audit_rows(panel.app, "unlock")
    assert guess_with_captcha(owner, panel.east, PASSWORD, monkeypatch).status_code == 303


def test_a_branch_operator_cannot_unlock(panel):
    operator = logged_in(panel.app, panel.west)
    assert "登录锁定中的员工账号" not in operator.get("/admin/").get_data(as_text=True)
    token = csrf_of(operator, "/admin/")
    east = staff(panel.app, panel.east)
    response = operator.post("/admin/staff/action/", data={"csrf_token": token, "action": "unlock",
                                                            "rowid": str(east.id)})
    assert response.status_code in (302, 403) and not audit_rows(panel.app, "unlock")


def test_the_lock_ends_by_itself_after_the_configured_minutes(make_app, monkeypatch):
    from .conftest import _staff  # noqa: PLC2701

    app = make_app(ADMIN_PANEL_ENABLED="1", ADMIN_LOCKOUT_FAILURES="2", ADMIN_LOCKOUT_MINUTES="3")
    with app.app_context():
        _staff("solo_admin", "head_office", None)
        db.session.commit()
    client = app.test_client()
    for _ in range(2):
        assert login(client, "solo_admin", "wrong-password-z").status_code == 401
    with app.app_context():
        user = db.session.execute(select(StaffUser)).scalar_one()
        assert timedelta(minutes=2) < user.locked_until - utcnow() <= timedelta(minutes=3)
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    other = app.test_client()
    assert login(other, "solo_admin", PASSWORD).status_code == 303


# -- sessions end server-side ----------------------------------------------------------------------------
def test_a_cookie_copied_before_logout_no_longer_works(panel):
    client = logged_in(panel.app, panel.head)
    stolen = cookie(client)
    token = csrf_of(client, "/admin/")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    thief = panel.app.test_client()
    restore(thief, stolen)
    response = thief.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("change", ["password", "role", "branch", "deactivate"])
def test_head_office_changes_end_the_staff_members_sessions(panel, change):
    victim = logged_in(panel.app, panel.east)
    assert victim.get("/admin/").status_code == 200
    east = staff(panel.app, panel.east)
    head = logged_in(panel.app, panel.head)
    token = csrf_of(head, f"/admin/staff/edit/?id={east.id}")
    data = {"csrf_token": token, "username": "east_op", "display_name": "员工east_op", "role": "branch_operator",
            "branch": str(panel.east_branch.id), "active": "y", "password": ""}
    data.update({"password": {"password": "a-brand-new-password"},
                 "role": {"role": "head_office", "branch": ""},
                 "branch": {"branch": str(panel.west_branch.id)},
                 "deactivate": {"active": ""}}[change])
    if change == "deactivate":
        del data["active"]
    edited = head.post(f"/admin/staff/edit/?id={east.id}", data=data)
    assert edited.status_code == 302, edited.get_data(as_text=True)[:1500]
    response = victim.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert head.get("/admin/").status_code == 200  # head office's own session is untouched


def test_an_edit_that_changes_nothing_that_matters_keeps_the_session(panel):
    victim = logged_in(panel.app, panel.east)
    east = staff(panel.app, panel.east)
    head = logged_in(panel.app, panel.head)
    token = csrf_of(head, f"/admin/staff/edit/?id={east.id}")
    edited = head.post(f"/admin/staff/edit/?id={east.id}", data={
        "csrf_token": token, "username": "east_op", "display_name": "东街小王", "role": "branch_operator",
        "branch": str(panel.east_branch.id), "active": "y", "password": ""})
    assert edited.status_code == 302
    assert victim.get("/admin/").status_code == 200


# -- look-alike usernames ---------------------------------------------------------------------------------
LOOK_ALIKES = ["HQ_Admin", "ｈｑ＿ａｄｍｉｎ", "hq_\u200badmin",
               "hq_ad\u200dmin", "\u2060hq_admin", "hq_admin\u200e", "ＨＱ_ADMIN"]


def test_the_normal_form_folds_case_width_and_invisible_characters():
    assert {username_key(name) for name in LOOK_ALIKES} == {"hq_admin"}
    assert clean_username("ｅａｓｔ\u200b_op ") == "east_op"
    assert username_key("Straße") == username_key("STRASSE")


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_the_panel_refuses_a_look_alike_of_an_existing_username(panel, name):
    client = logged_in(panel.app, panel.head)
    token = csrf_of(client, "/admin/staff/new/")
    response = client.post("/admin/staff/new/", data={
        "csrf_token": token, "username": name, "display_name": "冒名者", "role": "head_office", "branch": "",
        "active": "y", "password": "a-long-password-1"})
    assert response.status_code == 200 and "过于相似" in response.get_data(as_text=True)
    with panel.app.app_context():
        assert db.session.execute(select(StaffUser).where(StaffUser.display_name == "冒名者")).first() is None


def test_a_new_username_is_stored_clean_and_logs_in_however_it_is_typed(panel):
    client = logged_in(panel.app, panel.head)
    token = csrf_of(client, "/admin/staff/new/")
    created = client.post("/admin/staff/new/", data={
        "csrf_token": token, "username": "Ｎｏｒｔｈ\u200b_Op", "display_name": "北街", "role": "branch_operator",
        "branch": str(panel.east_branch.id), "active": "y", "password": "a-long-password-1"})
    assert created.status_code == 302
    user = staff(panel.app, "North_Op")
    assert user.username_key == "north_op"
    for typed in ("north_op", "NORTH_OP", "ｎｏｒｔｈ_ｏｐ"):
        assert login(panel.app.test_client(), typed, "a-long-password-1").status_code == 303, typed


def test_create_admin_refuses_a_look_alike(app):
    runner = app.test_cli_runner()

    def create(name: str):
        return runner.invoke(args=["create-admin", "--username", name, "--name", "管理员"],
                             input="Str0ng-pass-2026\nStr0ng-pass-2026\n")

    assert create("zhangsan").exit_code == 0
    for name in ("ZhangSan", "ｚｈａｎｇｓａｎ", "zhang\u200bsan"):
        result = create(name)
        assert result.exit_code != 0 and "过于相似" in result.output, name
    with app.app_context():
        assert [u.username for u in db.session.scalars(select(StaffUser))] == ["zhangsan"]


def test_with_redis_the_captcha_is_single_use_there_too(make_app, redis_url, monkeypatch):
    from {{ cookiecutter.bank_slug }}.web import captcha as captcha_store

    from .conftest import _staff  # noqa: PLC2701

    app = make_app(ADMIN_PANEL_ENABLED="1", REDIS_URL=redis_url)
    with app.app_context():
        _staff("redis_admin", "head_office", None)
        db.session.commit()
    client = app.test_client()
    fail_until_captcha(client, "redis_admin")
    monkeypatch.setattr(captcha, "new_answer", lambda: "AC34")
    client.get("/admin/login/captcha.png")
    with app.app_context():
        assert captcha_store.store().kind == "redis"
        assert db.session.scalars(select(captcha_store.CaptchaChallenge)).first() is None  # not in the database
    before_submit = cookie(client)
    assert login(client, "redis_admin", "wrong-password-r", captcha="AC34").status_code == 401
    restore(client, before_submit)
    replayed = login(client, "redis_admin", PASSWORD, captcha="AC34")
    assert replayed.status_code == 400 and "图形验证码不正确" in replayed.get_data(as_text=True)
    client.get("/admin/login/captcha.png")
    assert login(client, "redis_admin", PASSWORD, captcha="AC34").status_code == 303


def test_a_look_alike_from_before_migration_0017_can_still_be_deactivated(panel):
    from .conftest import FIXTURE_PASSWORD_HASH

    with panel.app.app_context():  # what 0017 leaves for a look-alike created before it: its key gets "#id"
        twin = StaffUser(username="East_Op", display_name="旧账号", role="branch_operator",
                         branch_id=panel.east_branch.id, password_hash=FIXTURE_PASSWORD_HASH)
        twin.username_key = "east_op#dup"
        db.session.add(twin)
        db.session.commit()
        twin_id = twin.id
    head = logged_in(panel.app, panel.head)
    token = csrf_of(head, f"/admin/staff/edit/?id={twin_id}")
    edited = head.post(f"/admin/staff/edit/?id={twin_id}", data={
        "csrf_token": token, "username": "East_Op", "display_name": "旧账号", "role": "branch_operator",
        "branch": str(panel.east_branch.id), "password": ""})
    assert edited.status_code == 302, edited.get_data(as_text=True)[:1000]
    with panel.app.app_context():
        twin = db.session.get(StaffUser, twin_id)
        assert twin.active is False and twin.username_key == "east_op#dup"
    assert login(panel.app.test_client(), "east_op").status_code == 303  # the name still finds the original
