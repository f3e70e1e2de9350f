"""The custom menu: the default, a JSON file instead, WeChat's limits, publishing it, and its chat keys."""

import copy
import json

import pytest

from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.menu.default import default_menu, load_menu
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message
from {{ cookiecutter.bank_slug }}.wechat.menu import MenuError, validate_menu

from ..helpers import push, reply_field
from ..live_sandbox import live_sandbox

pytestmark = pytest.mark.smoke

OPENID = "oMenuTest000000000000000001"
BASE = "https://wx.bank.example.cn"


def _buttons(menu):
    for button in menu["button"]:
        yield from button.get("sub_button") or [button]


def test_default_menu_is_valid_and_built_from_the_public_url():
    menu = default_menu(BASE)
    validate_menu(menu)
    assert [b["name"] for b in menu["button"]] == ["账户", "理财/信用卡", "服务"]
    names = {b["name"] for b in _buttons(menu)}
    assert {"绑定", "余额", "转账", "动账提醒设置", "理财产品", "信用卡账单", "信用卡还款", "网点", "客服",
            "帮助"} <= names
    assert {b["key"] for b in _buttons(menu) if b["type"] == "click"} == {"BALANCE", "BRANCHES", "CONTACT", "HELP",
                                                                          "CREDIT"}
    assert all(b["url"].startswith(BASE + "/h5/") for b in _buttons(menu) if b["type"] == "view")


def test_every_click_key_of_the_default_menu_has_a_handler(app):
    router = app.extensions["wechat_router"]
    for button in _buttons(default_menu(BASE)):
        if button["type"] == "click":
            assert router.handles_click(button["key"]), button["key"]


def _broken(change):
    menu = copy.deepcopy(default_menu(BASE))
    change(menu)
    return menu


@pytest.mark.parametrize("change,problem", [
    (lambda m: m["button"].append({"type": "click", "name": "更多", "key": "MORE"}), "1 至 3 个一级菜单"),
    (lambda m: m.update(button=[]), "1 至 3 个一级菜单"),
    (lambda m: m["button"][1].update(name="理财产品超市"), "超过 16 字节"),
    (lambda m: m["button"][0]["sub_button"].extend([{"type": "click", "name": f"项{i}", "key": f"K{i}"}
                                                     for i in range(2)]), "1 至 5 个"),
    (lambda m: m["button"][1]["sub_button"][0].update(type="link"), "type='link' 无效"),
    (lambda m: m["button"][1]["sub_button"][0].update(url="/h5/products"), "http(s) 完整网址"),
    (lambda m: m["button"][1]["sub_button"][0].update(url="https://x.cn/" + "a" * 1100), "超过 1024 字节"),
    (lambda m: m["button"][2]["sub_button"][0].update(key="HELP"), "重复"),
    (lambda m: m["button"][2]["sub_button"][0].update(key=""), "缺少 key"),
    (lambda m: m["button"][2]["sub_button"][0].update(sub_button=[{"type": "click", "name": "x", "key": "X"}]),
     "不能再有子菜单"),
    (lambda m: m["button"][0].update(name=""), "缺少名称"),
])
def test_wechat_limits_are_enforced(change, problem):
    with pytest.raises(MenuError) as caught:
        validate_menu(_broken(change))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_menu_file_overrides_the_default_with_relative_urls(tmp_path):
    path = tmp_path / "menu.json"
    path.write_text(json.dumps({"button": [
        {"type": "view", "name": "服务大厅", "url": "/h5/"},
        {"type": "click", "name": "帮助", "key": "HELP"},
    ]}, ensure_ascii=False), encoding="utf-8")
    menu = load_menu({"PUBLIC_BASE_URL": BASE, "WECHAT_MENU_FILE": str(path)})
    assert menu["button"][0]["url"] == BASE + "/h5/"
    assert menu["button"][1] == {"type": "click", "name": "帮助", "key": "HELP"}


def test_unreadable_or_broken_menu_files_are_named(tmp_path):
    with pytest.raises(MenuError, match="无法读取"):
        load_menu({"PUBLIC_BASE_URL": BASE, "WECHAT_MENU_FILE": str(tmp_path / "missing.json")})
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(MenuError, match="不是合法的 JSON"):
        load_menu({"PUBLIC_BASE_URL": BASE, "WECHAT_MENU_FILE": str(broken)})
    wrong = tmp_path / "list.json"
    wrong.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(MenuError, match="一级菜单"):
        load_menu({"PUBLIC_BASE_URL": BASE, "WECHAT_MENU_FILE": str(wrong)})


def test_push_menu_publishes_to_the_mock(app):
    with live_sandbox(app) as live:
        result = app.test_cli_runner().invoke(args=["wechat", "push-menu"])
        assert result.exit_code == 0, result.output
        assert "菜单已发布" in result.output and "└ 帮助" in result.output
        assert live.state.menu == load_menu(app.config)
        assert live.state.menu["button"][1]["sub_button"][0]["url"] == f"{live.service_url}/h5/products"


def test_push_menu_dry_run_pushes_nothing(app):
    with live_sandbox(app) as live:
        result = app.test_cli_runner().invoke(args=["wechat", "push-menu", "--dry-run"])
        assert result.exit_code == 0 and "校验通过" in result.output
        assert live.state.menu is None


def test_push_menu_refuses_a_bad_file(make_app, tmp_path):
    path = tmp_path / "menu.json"
    path.write_text(json.dumps({"button": [{"type": "click", "name": "名字实在是太长了", "key": "K"}]}),
                    encoding="utf-8")
    app = make_app(WECHAT_MENU_FILE=str(path))
    result = app.test_cli_runner().invoke(args=["wechat", "push-menu"])
    assert result.exit_code == 1 and "超过 16 字节" in result.output


def _click(app, pusher, key, openid=OPENID):
    _, reply = push(app.test_client(), pusher, event_message(openid, "CLICK", key))
    return reply_field(reply, "Content")


def test_branches_key_lists_the_branches(app, pusher):
    assert "暂未发布" in _click(app, pusher, "BRANCHES")
    with app.app_context():
        db.session.add_all([Branch(code="0001", name="营业部", address="人民路 88 号", phone="0571-8800 0001"),
                            Branch(code="0101", name="城东支行", address="城东大道 16 号")])
        db.session.commit()
    text = _click(app, pusher, "BRANCHES", openid=OPENID + "2")  # same second, same user: a retry
    assert "营业部：人民路 88 号，电话 0571-8800 0001" in text and "城东支行：城东大道 16 号" in text


def test_contact_key_gives_the_hotline(make_app):
    app = make_app(SERVICE_HOTLINE="96518")
    pusher = _pusher(app)
    assert "96518" in _click(app, pusher, "CONTACT")
    _, reply = push(app.test_client(), pusher, event_message(OPENID, "CLICK", "BALANCE"))
    content = reply_field(reply, "Content")  # no card bound yet: the binding link
    assert "/h5/bind" in content and "即将开通" not in content


def _pusher(app):
    return WeChatPusher.from_config(app.config)


def test_help_links_to_the_service_hall(make_app):
    app = make_app(PUBLIC_BASE_URL="https://h5.bank.example.cn/")
    _, reply = push(app.test_client(), _pusher(app), event_message(OPENID, "CLICK", "HELP"))
    assert '<a href="https://h5.bank.example.cn/h5/">进入服务大厅</a>' in reply_field(reply, "Content")
