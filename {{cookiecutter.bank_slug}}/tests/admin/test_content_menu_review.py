"""双人复核 of the custom menu: a version submitted by its author is published only when another
head-office admin approves it; the author's own approval is refused (403, nothing published), a rejection
needs a reason, and `flask wechat push-menu` never publishes a version waiting for review or rejected."""

import json

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.menu.service import menu_to_publish

from ..live_sandbox import live_sandbox
from .conftest import add_staff, csrf_of, logged_in
from .test_content_menu import PAGE, SMALL_MENU, approve, submit, versions


def post(client, path, **data):
    return client.post(PAGE + path, data={"csrf_token": csrf_of(client, PAGE), **data})


def test_the_author_cannot_approve_their_own_menu_and_a_second_admin_publishes_it(panel):
    app = panel.app
    with live_sandbox(app) as live:
        author = logged_in(app, panel.head)
        assert submit(author, SMALL_MENU, "submit").status_code == 303
        [version] = versions(app)
        assert version.review_status == "pending" and version.published_at is None and live.state.menu is None
        page = author.get(PAGE).get_data(as_text=True)
        assert f'data-testid="menu-approve-{version.id}" disabled' in page and "待复核" in page
        with app.app_context():  # waiting for review: the command line keeps the default
            assert menu_to_publish(app.config).version_id is None

        own = approve(author, version.id)
        assert own.status_code == 403 and "不能复核自己提交的内容" in own.get_data(as_text=True)
        assert live.state.menu is None and versions(app)[0].review_status == "pending"

        checker_name = add_staff(app, "hq_checker")
        assert approve(logged_in(app, checker_name), version.id).status_code == 303
        published = versions(app)[0]
        assert published.review_status == "approved" and published.reviewed_by == checker_name
        assert published.published_at is not None and live.state.menu is not None
    with app.app_context():
        rows = db.session.execute(select(AuditLog.action, AuditLog.staff_username).where(
            AuditLog.target_type == "wechat_menu_version").order_by(AuditLog.id)).all()
    assert [tuple(row) for row in rows] == [("create", panel.head), ("submit", panel.head),
                                            ("approve_refused", panel.head), ("approve", checker_name),
                                            ("publish", checker_name)]


def test_a_rejected_menu_is_never_published(panel):
    app = panel.app
    author = logged_in(app, panel.head)
    assert submit(author, SMALL_MENU, "save").status_code == 303
    [draft] = versions(app)
    assert draft.review_status is None
    checker = logged_in(app, add_staff(app, "hq_checker"))
    assert "不在待复核状态" in checker.get(post(checker, "approve/", id=draft.id).headers["Location"]).get_data(
        as_text=True)  # a draft is submitted first
    assert post(author, "submit/", id=draft.id).status_code == 303
    empty = post(checker, "reject/", id=draft.id, reason="")
    assert "请填写驳回原因" in checker.get(empty.headers["Location"]).get_data(as_text=True)
    assert post(checker, "reject/", id=draft.id, reason="菜单名称不规范").status_code == 303
    [rejected] = versions(app)
    assert rejected.review_status == "rejected" and rejected.review_reason == "菜单名称不规范"
    assert "驳回原因：菜单名称不规范" in author.get(PAGE).get_data(as_text=True)
    assert "不在待复核状态" in checker.get(post(checker, "approve/", id=draft.id).headers["Location"]).get_data(
        as_text=True)
    assert versions(app)[0].published_at is None
    result = app.test_cli_runner().invoke(args=["wechat", "push-menu", "--dry-run"])
    assert result.exit_code == 0 and "默认菜单" in result.output
    with app.app_context():
        after = db.session.execute(select(AuditLog.after).where(AuditLog.action == "reject")).scalar_one()
    assert json.loads(after)["review_reason"] == "菜单名称不规范"
