"""The custom menu in the admin panel: JSON validated with WeChat's rules (Chinese errors, nothing stored),
saved as versions, submitted for review and, approved by a second head-office admin (双人复核), published
through the WeChat API (the mock here) with the outcome recorded and audited; `flask wechat push-menu` then
prefers the newest approved and published version over the file and the default."""

import copy
import json

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.menu.default import default_menu, load_menu
from {{ cookiecutter.bank_slug }}.features.menu.models import MenuVersion
from {{ cookiecutter.bank_slug }}.features.menu.service import menu_to_publish
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.faults import Faults

from ..live_sandbox import live_sandbox
from .conftest import add_staff, csrf_of, logged_in

PAGE = "/admin/menu/"
SMALL_MENU = {"button": [
    {"type": "view", "name": "服务大厅", "url": "/h5/"},
    {"name": "更多", "sub_button": [{"type": "click", "name": "帮助", "key": "HELP"},
                                     {"type": "click", "name": "客服", "key": "CONTACT"}]},
]}


def versions(app) -> list[MenuVersion]:
    with app.app_context():
        found = list(db.session.execute(select(MenuVersion).order_by(MenuVersion.id)).scalars())
        db.session.expunge_all()
        return found


def submit(client, menu, action: str):
    text = menu if isinstance(menu, str) else json.dumps(menu, ensure_ascii=False)
    return client.post(PAGE, data={"csrf_token": csrf_of(client, PAGE), "menu_json": text, "action": action})


def approve(client, version_id: int):
    return client.post(f"{PAGE}approve/", data={"csrf_token": csrf_of(client, PAGE), "id": version_id})


def publish(author, checker, menu) -> int:
    """Save and submit as the author, approve as the checker: the id of the version."""
    assert submit(author, menu, "submit").status_code == 303
    with author.application.app_context():
        version_id = db.session.execute(select(func.max(MenuVersion.id))).scalar_one()
    assert approve(checker, version_id).status_code == 303
    return version_id


def test_the_page_starts_from_the_menu_in_force_with_a_preview(panel):
    page = logged_in(panel.app, panel.head).get(PAGE).get_data(as_text=True)
    assert "默认菜单" in page and 'data-testid="menu-preview"' in page
    for name in ("账户", "理财产品", "服务", "余额"):
        assert name in page


@pytest.mark.parametrize("menu,problem", [
    ("{", "不是合法的 JSON：第 1 行"),
    ("[1, 2]", "菜单须为 JSON 对象"),
    ("", "请填写菜单 JSON"),
    ({"button": []}, "1 至 3 个一级菜单"),
    ({"button": [{"type": "click", "name": "名字实在是太长了", "key": "K"}]}, "超过 16 字节"),
    ({"button": [{"type": "view", "name": "网页", "url": "javascript:alert(1)"}]}, "http(s) 完整网址"),
    ({"button": [{"type": "click", "name": "甲", "key": "K"}, {"type": "click", "name": "乙", "key": "K"}]}, "重复"),
])
def test_an_invalid_menu_is_explained_in_chinese_and_nothing_is_stored(panel, menu, problem):
    client = logged_in(panel.app, panel.head)
    for action in ("check", "save", "submit"):
        response = submit(client, menu, action)
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert problem in body and "未保存" in body
    assert versions(panel.app) == []


def test_check_previews_without_storing_and_save_stores_a_draft(panel):
    client = logged_in(panel.app, panel.head)
    checked = submit(client, SMALL_MENU, "check")
    assert checked.status_code == 200 and "菜单校验通过" in checked.get_data(as_text=True)
    assert "服务大厅" in checked.get_data(as_text=True) and versions(panel.app) == []
    saved = submit(client, SMALL_MENU, "save")
    assert saved.status_code == 303
    [version] = versions(panel.app)
    assert json.loads(version.menu_json) == SMALL_MENU and version.published_at is None
    assert version.created_by == panel.head
    with panel.app.app_context():  # a draft is never what the command line publishes
        assert menu_to_publish(panel.app.config).version_id is None
    page = client.get(PAGE).get_data(as_text=True)
    assert "服务大厅" in page and "未发布" in page  # the editor opens on the newest version


def test_publish_goes_through_the_wechat_api_and_push_menu_prefers_it(panel):
    app = panel.app
    with live_sandbox(app) as live:
        client = logged_in(app, panel.head)
        checker = logged_in(app, add_staff(app, "hq_checker"))
        publish(client, checker, SMALL_MENU)
        [version] = versions(app)
        assert version.published_at is not None and version.publish_result == "ok"
        expected = copy.deepcopy(SMALL_MENU)
        expected["button"][0]["url"] = f"{live.service_url}/h5/"  # relative URLs joined to PUBLIC_BASE_URL
        assert live.state.menu == expected
        with app.app_context():
            actions = list(db.session.execute(select(AuditLog.action).where(
                AuditLog.target_type == "wechat_menu_version").order_by(AuditLog.id)).scalars())
        assert actions == ["create", "submit", "approve", "publish"]

        live.state.set_menu(None)
        result = app.test_cli_runner().invoke(args=["wechat", "push-menu"])
        assert result.exit_code == 0, result.output
        assert f"#{version.id}" in result.output and live.state.menu == expected

        # republishing the default as a new version: the newest published one wins again
        publish(client, checker, default_menu(app.config["PUBLIC_BASE_URL"]))
        with app.app_context():
            assert menu_to_publish(app.config).menu == load_menu(app.config)
        assert live.state.menu == load_menu(app.config)

        # an older version can be published again (a rollback): a new version with its menu, reviewed again
        again = client.post(f"{PAGE}resubmit/", data={"csrf_token": csrf_of(client, PAGE), "id": version.id})
        assert again.status_code == 303 and live.state.menu == load_menu(app.config)
        rollback = versions(app)[-1]
        assert rollback.menu_json == version.menu_json and rollback.review_status == "pending"
        assert approve(checker, rollback.id).status_code == 303 and live.state.menu == expected
        with app.app_context():
            assert menu_to_publish(app.config).version_id == rollback.id


def test_a_refusal_by_wechat_is_recorded_and_the_menu_stays_unpublished(panel):
    app = panel.app
    with live_sandbox(app) as live:
        live.state.faults = Faults(errcodes={45009: 1.0})  # the daily quota is used up
        client = logged_in(app, panel.head)
        checker = logged_in(app, add_staff(app, "hq_checker"))
        assert submit(client, SMALL_MENU, "submit").status_code == 303
        response = checker.post(f"{PAGE}approve/", data={"csrf_token": csrf_of(checker, PAGE),
                                                         "id": versions(app)[0].id}, follow_redirects=True)
        assert "发布失败" in response.get_data(as_text=True)
    [version] = versions(app)
    assert version.published_at is None and "45009" in version.publish_result
    with app.app_context():
        assert menu_to_publish(app.config).version_id is None


def test_branch_operators_get_403_and_posts_need_csrf(panel):
    east = logged_in(panel.app, panel.east)
    assert east.get(PAGE).status_code == 403
    assert east.post(PAGE, data={"csrf_token": csrf_of(east, "/admin/"), "action": "save",
                                 "menu_json": json.dumps(SMALL_MENU)}).status_code == 403
    assert "/admin/menu/" not in east.get("/admin/").get_data(as_text=True)
    head = logged_in(panel.app, panel.head)
    assert head.post(PAGE, data={"action": "save", "menu_json": json.dumps(SMALL_MENU)}).status_code == 400
    with panel.app.app_context():
        assert db.session.execute(select(func.count()).select_from(MenuVersion)).scalar_one() == 0
