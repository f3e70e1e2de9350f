"""WeChat's rules for a custom menu (自定义菜单): button types and the field each needs, the limits on
buttons, names, keys and URLs (`validate_menu`), relative URLs joined to the service's address, and a text
description for the command line. What the bank's menu contains is the menu feature's (features/menu).
"""

from urllib.parse import urlsplit

from ..shared.i18n import _

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
MAX_NAME_BYTES = 16  # top level: 4 Chinese characters
MAX_SUB_NAME_BYTES = 60
MAX_KEY_BYTES = 128
MAX_URL_BYTES = 1024
# The field each button type needs, as in WeChat's menu/create documentation.
REQUIRED_FIELD = {
    "click": "key",
    "view": "url",
    "scancode_push": "key",
    "scancode_waitmsg": "key",
    "pic_sysphoto": "key",
    "pic_photo_or_album": "key",
    "pic_weixin": "key",
    "location_select": "key",
    "media_id": "media_id",
    "view_limited": "media_id",
    "article_id": "article_id",
    "article_view_limited": "article_id",
    "miniprogram": "pagepath",
}


class MenuError(ValueError):
    """The menu breaks WeChat's rules; `problems` says where, for staff (translated)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


def _nbytes(value) -> int:
    return len(str(value).encode("utf-8"))


def _check_button(button, where: str, max_name: int, problems: list[str], keys: dict) -> None:
    if not isinstance(button, dict):
        problems.append(_("%(where)s 不是对象", where=where))
        return
    name = button.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(_("%(where)s 缺少名称 name", where=where))
    elif _nbytes(name) > max_name:
        problems.append(_("%(where)s「%(name)s」名称超过 %(max)s 字节", where=where, name=name, max=max_name))
    kind = button.get("type")
    if kind not in REQUIRED_FIELD:
        problems.append(_("%(where)s 类型 type=%(kind)r 无效", where=where, kind=kind))
        return
    field = REQUIRED_FIELD[kind]
    value = button.get(field)
    if not isinstance(value, str) or not value.strip():
        problems.append(_("%(where)s 类型 %(kind)s 缺少 %(field)s", where=where, kind=kind, field=field))
        return
    if field == "key":
        if _nbytes(value) > MAX_KEY_BYTES:
            problems.append(_("%(where)s key 超过 %(max)s 字节", where=where, max=MAX_KEY_BYTES))
        if value in keys:
            problems.append(_("%(where)s key %(key)s 与%(other)s重复", where=where, key=value, other=keys[value]))
        keys.setdefault(value, where)
    if kind in ("view", "miniprogram"):
        url = button.get("url", "")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            problems.append(_("%(where)s url 必须是 http(s) 完整网址", where=where))
        elif _nbytes(url) > MAX_URL_BYTES:
            problems.append(_("%(where)s url 超过 %(max)s 字节", where=where, max=MAX_URL_BYTES))
    if kind == "miniprogram" and not button.get("appid"):
        problems.append(_("%(where)s 小程序菜单缺少 appid", where=where))


def validate_menu(menu) -> None:
    """Raise MenuError listing every rule of WeChat's menu/create the menu breaks."""
    problems: list[str] = []
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise MenuError([_("菜单须有 1 至 %(max)s 个一级菜单 (button)", max=MAX_BUTTONS)])
    keys: dict[str, str] = {}
    for i, button in enumerate(buttons, 1):
        where = _("第 %(n)s 个一级菜单", n=i)
        subs = button.get("sub_button") if isinstance(button, dict) else None
        if not subs:
            _check_button(button, where, MAX_NAME_BYTES, problems, keys)
            continue
        name = button.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(_("%(where)s 缺少名称 name", where=where))
        elif _nbytes(name) > MAX_NAME_BYTES:
            problems.append(_("%(where)s「%(name)s」名称超过 %(max)s 字节", where=where, name=name, max=MAX_NAME_BYTES))
        if not isinstance(subs, list) or len(subs) > MAX_SUB_BUTTONS:
            problems.append(_("%(where)s 的子菜单须为 1 至 %(max)s 个", where=where, max=MAX_SUB_BUTTONS))
            continue
        for j, sub in enumerate(subs, 1):
            sub_where = _("%(where)s第 %(n)s 个子菜单", where=where, n=j)
            if isinstance(sub, dict) and sub.get("sub_button"):
                problems.append(_("%(where)s不能再有子菜单", where=sub_where))
                continue
            _check_button(sub, sub_where, MAX_SUB_NAME_BYTES, problems, keys)
    if problems:
        raise MenuError(problems)


def absolute_urls(menu: dict, base_url: str) -> dict:
    """Join relative URLs ("/h5/bind") to PUBLIC_BASE_URL."""

    def fix(button):
        if not isinstance(button, dict):
            return button
        button = dict(button)
        url = button.get("url")
        if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
            button["url"] = base_url.rstrip("/") + url
        if isinstance(button.get("sub_button"), list):
            button["sub_button"] = [fix(sub) for sub in button["sub_button"]]
        return button

    buttons = menu.get("button") if isinstance(menu, dict) else None
    return {**menu, "button": [fix(b) for b in buttons]} if isinstance(buttons, list) else menu


def describe(menu: dict) -> list[str]:
    """One line per button, for the command line."""
    lines = []
    for button in menu["button"]:
        subs = button.get("sub_button") or []
        lines.append(f"{button['name']}" + ("" if subs else f"  [{_target(button)}]"))
        lines += [f"  └ {sub['name']}  [{_target(sub)}]" for sub in subs]
    return lines


def _target(button: dict) -> str:
    field = REQUIRED_FIELD.get(button.get("type"), "key")
    return f"{button.get('type')}: {button.get(field if field != 'pagepath' else 'url', '')}"
