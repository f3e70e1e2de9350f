"""The bank's menu when staff have published none: the built-in default, or WECHAT_MENU_FILE instead.

CLICK buttons send a menu key to /wechat (answered by the feature that registered it); VIEW buttons open an
H5 page. URLs in a menu file may be relative ("/h5/bind"): they are joined to PUBLIC_BASE_URL, so one file
serves every environment. Every menu is checked against WeChat's rules (wechat/menu.py) before it is used.
"""

import json
from pathlib import Path

from ...shared.i18n import _
from ...wechat.menu import MenuError, absolute_urls, validate_menu


def _click(name: str, key: str) -> dict:
    return {"type": "click", "name": name, "key": key}


def _location(name: str, key: str) -> dict:
    """location_select: WeChat opens its place picker; the chosen place arrives as a location message."""
    return {"type": "location_select", "name": name, "key": key}


def _view(name: str, url: str) -> dict:
    return {"type": "view", "name": name, "url": url}


def default_menu(base_url: str, app_download_url: str = "") -> dict:
    """账户 / 理财/信用卡 / 服务. WeChat allows three top-level buttons (five sub-buttons each), so 转账 sits under 账户
    and 贷款·办卡预约 (/h5/requests) and 投诉建议 (the complaint channel the rules ask banks to publish) under 服务;
    帮助 is the fifth button of 账户; 理财产品 shares the middle button with the credit card's 信用卡账单 (the CREDIT
    key) and 信用卡还款 (/h5/credit). A bank with a mobile banking app (APP_DOWNLOAD_URL) gets 下载手机银行 there
    too."""
    h5 = base_url.rstrip("/") + "/h5"
    middle = [_view("理财产品", f"{h5}/products"), _click("信用卡账单", "CREDIT"), _view("信用卡还款", f"{h5}/credit")]
    if app_download_url:
        middle.append(_view("下载手机银行", app_download_url))
    return {
        "button": [
            {
                "name": "账户",
                "sub_button": [
                    _view("绑定", f"{h5}/bind"),
                    _click("余额", "BALANCE"),
                    _view("转账", f"{h5}/transfer"),
                    _view("动账提醒设置", f"{h5}/alerts"),
                    _click("帮助", "HELP"),
                ],
            },
            {"name": "理财/信用卡", "sub_button": middle},
            {
                "name": "服务",
                "sub_button": [_click("网点", "BRANCHES"), _location("附近网点", "NEAR_BRANCHES"),
                               _view("贷款·办卡预约", f"{h5}/requests"), _view("投诉建议", f"{h5}/complaints"),
                               _click("客服", "CONTACT")],
            },
        ]
    }


def load_menu(config) -> dict:
    """The menu to publish: WECHAT_MENU_FILE when set, else the default; always validated."""
    base_url = config["PUBLIC_BASE_URL"]
    path = config.get("WECHAT_MENU_FILE") or ""
    if not path:
        menu = default_menu(base_url, config.get("APP_DOWNLOAD_URL") or "")
    else:
        try:
            menu = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            reason = exc.strerror or exc
            raise MenuError([_("菜单文件 %(path)s 无法读取：%(error)s", path=path, error=reason)]) from None
        except ValueError as exc:
            raise MenuError([_("菜单文件 %(path)s 不是合法的 JSON：%(error)s", path=path, error=exc)]) from None
        menu = absolute_urls(menu, base_url)
    validate_menu(menu)
    return menu
