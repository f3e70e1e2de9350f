"""The ways in: the chat keywords 贷款 / 办卡 / 预约 answer with the H5 links, the default menu's 服务 holds
贷款·办卡预约 within WeChat's five sub-buttons, and the H5 hall lists the service."""

import pytest

from {{ cookiecutter.bank_slug }}.features.menu.default import default_menu
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message

from ...helpers import next_msg_id, push, reply_field
from .conftest import EAST_OPENID, customer


def _say(app, text: str) -> str:
    reply = push(app.test_client(), WeChatPusher.from_config(app.config), text_message(EAST_OPENID, text,
                                                                                        next_msg_id()))[1]
    return reply_field(reply, "Content")


@pytest.mark.parametrize(("keyword", "path"), [("贷款", "/h5/requests/loan"), ("办卡", "/h5/requests/card"),
                                               ("预约", "/h5/requests/card")])
def test_keywords_link_to_the_forms(app, keyword, path):
    text = _say(app, keyword)
    assert f'href="{app.config["PUBLIC_BASE_URL"]}{path}"' in text


def test_menu_and_hall(app):
    menu = default_menu("https://bank.example")
    service = next(button for button in menu["button"] if button["name"] == "服务")
    assert len(service["sub_button"]) <= 5
    assert {"type": "view", "name": "贷款·办卡预约", "url": "https://bank.example/h5/requests"} in service["sub_button"]
    hall = customer(app, EAST_OPENID).get("/h5/").get_data(as_text=True)
    assert 'href="/h5/requests"' in hall
