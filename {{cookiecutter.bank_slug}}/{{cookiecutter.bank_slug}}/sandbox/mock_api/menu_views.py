"""The custom menu (自定义菜单): create, get, delete, checked against WeChat's rules.

At most 3 top-level buttons with at most 5 sub-buttons each; names at most 16 bytes on top and
60 bytes below; keys at most 128 bytes; urls at most 1024 bytes. The same fault has one errcode
on top (4001x/40020) and another below (4002x).
"""

from dataclasses import dataclass

from flask import Blueprint

from .calls import json_body, mock_state, require_access_token
from .errors import WeChatError, ok

bp = Blueprint("mock_menu", __name__)
bp.before_request(require_access_token)

KEY_TYPES = ("click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
             "location_select")
BUTTON_TYPES = (*KEY_TYPES, "view", "miniprogram", "media_id", "view_limited", "article_id", "article_view_limited")
MAX_TOP, MAX_SUB = 3, 5
MAX_KEY_BYTES, MAX_URL_BYTES = 128, 1024


@dataclass(frozen=True)
class Level:
    max_buttons: int
    max_name_bytes: int
    count: int  # errcodes of this level
    type: int
    name: int
    key: int
    url: int


TOP = Level(MAX_TOP, 16, count=40016, type=40017, name=40018, key=40019, url=40020)
SUB = Level(MAX_SUB, 60, count=40023, type=40024, name=40025, key=40026, url=40027)


def _size(value) -> int:
    return len(value.encode()) if isinstance(value, str) else 0


def check_buttons(buttons, level: Level) -> None:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= level.max_buttons:
        raise WeChatError(level.count)
    for button in buttons:
        if not isinstance(button, dict):
            raise WeChatError(47001)
        if not 1 <= _size(button.get("name")) <= level.max_name_bytes:
            raise WeChatError(level.name)
        children = button.get("sub_button")
        if children:
            if level is SUB:
                raise WeChatError(40022)
            check_buttons(children, SUB)
            continue
        check_action(button, level)


def check_action(button: dict, level: Level) -> None:
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise WeChatError(level.type)
    if kind in KEY_TYPES and not 1 <= _size(button.get("key")) <= MAX_KEY_BYTES:
        raise WeChatError(level.key)
    if kind in ("view", "miniprogram"):
        url = button.get("url")
        if not 1 <= _size(url) <= MAX_URL_BYTES or not url.startswith(("http://", "https://")):
            raise WeChatError(level.url)
    if kind in ("media_id", "view_limited") and not button.get("media_id"):
        raise WeChatError(40007)
    if kind in ("article_id", "article_view_limited") and not button.get("article_id"):
        raise WeChatError(40035, "article_id")
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise WeChatError(40035, "appid/pagepath")


@bp.post("/cgi-bin/menu/create")
def create_menu():
    body = json_body()
    check_buttons(body.get("button"), TOP)
    menu = {"button": body["button"]}
    state = mock_state()
    state.set_menu(menu)
    state.record("menu_create", None, body)
    return ok()


@bp.get("/cgi-bin/menu/get")
def get_menu():
    menu = mock_state().menu
    if menu is None:
        raise WeChatError(46003)
    return {"menu": menu}


@bp.get("/cgi-bin/menu/delete")
def delete_menu():
    state = mock_state()
    state.set_menu(None)
    state.record("menu_delete", None, {})
    return ok()
