"""/cgi-bin/menu/*: WeChat's menu rules, and what the mock keeps of the menu."""

import copy

import pytest

from .mock_calls import api_get, api_post, assert_errcode

CREATE = "/cgi-bin/menu/create"
MENU = {
    "button": [
        {"name": "账户", "sub_button": [
            {"type": "click", "name": "余额查询", "key": "BALANCE"},
            {"type": "view", "name": "绑定银行卡", "url": "https://wx.bank.example.cn/bind"},
        ]},
        {"type": "click", "name": "帮助", "key": "HELP"},
        {"type": "view", "name": "理财", "url": "https://wx.bank.example.cn/products"},
    ]
}


def menu_with(path: tuple, **changes) -> dict:
    """MENU with the button at `path` (indexes through button/sub_button) changed."""
    menu = copy.deepcopy(MENU)
    button = menu["button"][path[0]]
    for index in path[1:]:
        button = button["sub_button"][index]
    button.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del button[key]
    return menu


def test_menu_is_created_read_and_deleted(mock_client, token):
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", token), 46003)
    assert api_post(mock_client, CREATE, token, MENU) == {"errcode": 0, "errmsg": "ok"}
    assert api_get(mock_client, "/cgi-bin/menu/get", token) == {"menu": MENU}
    assert mock_client.get("/_mock/menu").get_json() == {"menu": MENU}
    assert api_get(mock_client, "/cgi-bin/menu/delete", token)["errcode"] == 0
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", token), 46003)
    kinds = [r["kind"] for r in mock_client.get("/_mock/records").get_json()["records"]]
    assert kinds == ["token", "menu_create", "menu_delete"]


def four_top_buttons():
    return {"button": MENU["button"] + [{"type": "click", "name": "更多", "key": "MORE"}]}


def six_sub_buttons():
    subs = [{"type": "click", "name": f"项{i}", "key": f"K{i}"} for i in range(6)]
    return {"button": [{"name": "账户", "sub_button": subs}]}


@pytest.mark.parametrize("menu,errcode", [
    ({}, 40016),
    ({"button": []}, 40016),
    (four_top_buttons(), 40016),
    (six_sub_buttons(), 40023),
    (menu_with((1,), name="帮助中心与常见问题"), 40018),
    (menu_with((1,), name=""), 40018),
    (menu_with((1,), type="shake"), 40017),
    (menu_with((1,), key=None), 40019),
    (menu_with((1,), key="K" * 129), 40019),
    (menu_with((2,), url=None), 40020),
    (menu_with((2,), url="ftp://wx.bank.example.cn/"), 40020),
    (menu_with((2,), url="https://x.cn/" + "a" * 1020), 40020),
    (menu_with((0, 0), name="名" * 21), 40025),
    (menu_with((0, 0), type="shake"), 40024),
    (menu_with((0, 0), key=""), 40026),
    (menu_with((0, 1), url=None), 40027),
    (menu_with((0, 0), sub_button=[{"type": "click", "name": "深", "key": "DEEP"}]), 40022),
    (menu_with((1,), type="media_id", key=None), 40007),
    (menu_with((1,), type="miniprogram", url="https://wx.bank.example.cn/", key=None), 40035),
])
def test_menus_breaking_the_rules_are_refused(mock_client, token, menu, errcode):
    assert_errcode(api_post(mock_client, CREATE, token, menu), errcode)
    assert mock_client.get("/_mock/menu").get_json() == {"menu": None}


def test_names_count_bytes_not_characters(mock_client, token):
    five_chinese = menu_with((1,), name="帮助中心吧")  # 15 bytes in UTF-8: fits 16
    assert api_post(mock_client, CREATE, token, five_chinese)["errcode"] == 0
    six_chinese = menu_with((1,), name="帮助中心吧啊")  # 18 bytes
    assert_errcode(api_post(mock_client, CREATE, token, six_chinese), 40018)
