"""The simulator's JSON API: what it relays to /wechat in every mode, and the WeChat-style errors it gives."""

import pytest
from wechatpy.replies import ArticlesReply, ImageReply

from {{ cookiecutter.bank_slug }}.features.info.location import last_location
from {{ cookiecutter.bank_slug }}.wechat.reply_xml import parse_reply

from ..helpers import mock_control_client
from ..live_sandbox import live_sandbox

MODES = ["plain", "compat", "safe"]
VISITOR = "oSimVisitor0000000000000001"


@pytest.fixture
def sandbox(request, make_app):
    app = make_app(WECHAT_ENCRYPT_MODE=getattr(request, "param", "safe"), BANK_NAME="测试农村商业银行",
                   BANK_SHORT_NAME="测试农商银行", BRAND_COLOR="#123abc")
    with live_sandbox(app) as live:
        live.state.add_user(VISITOR, "访客", subscribed=False)
        yield live


@pytest.fixture
def simulator(sandbox):
    return mock_control_client(sandbox.mock)


def send(simulator, **body):
    return simulator.post("/simulator/api/send", json=body)


@pytest.mark.parametrize("sandbox", MODES, indirect=True)
def test_a_visitor_follows_talks_and_taps_the_menu(sandbox, simulator):
    response = send(simulator, openid=VISITOR, type="subscribe")
    data = response.get_json()
    assert response.status_code == 200 and data["errcode"] == 0
    assert data["reply"]["type"] == "text" and "欢迎关注测试农村商业银行" in data["reply"]["content"]
    assert data["user"]["subscribed"] is True and sandbox.state.user(VISITOR).subscribed

    reply = send(simulator, openid=VISITOR, type="text", content="帮助").get_json()["reply"]
    assert "「帮助」" in reply["content"] and f'<a href="{sandbox.service_url}/h5/">' in reply["content"]
    assert "客服热线" in send(simulator, openid=VISITOR, type="click", key="CONTACT").get_json()["reply"]["content"]
    assert send(simulator, openid=VISITOR, type="view", url=f"{sandbox.service_url}/h5/").get_json()["reply"] is None

    data = send(simulator, openid=VISITOR, type="unsubscribe").get_json()
    assert data["reply"] is None and data["user"]["subscribed"] is False


@pytest.mark.parametrize("body,errcode", [
    ({"openid": "nobody", "type": "text", "content": "hi"}, 40003),
    ({"openid": 42, "type": "subscribe"}, 40003),
    ({"type": "subscribe"}, 40003),
    ({"openid": VISITOR, "type": "image"}, 40008),
    ({"openid": VISITOR, "type": "text", "content": "帮助"}, 43004),  # not following yet
])
def test_bad_requests_get_wechat_style_errors(simulator, body, errcode):
    response = simulator.post("/simulator/api/send", json=body)
    data = response.get_json()
    assert response.status_code == 400
    assert data["errcode"] == errcode and data["errmsg"] and data["reason"]


def test_bad_json_and_bad_fields(simulator):
    for raw, errcode in ((b"{not json", 47001), (b"[1, 2]", 47001), (b"", 44002), (b"\xff\xfe", 47001)):
        response = simulator.post("/simulator/api/send", data=raw, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["errcode"] == errcode, raw
    send(simulator, openid=VISITOR, type="subscribe")
    assert send(simulator, openid=VISITOR, type="text", content="  ").get_json()["errcode"] == 44004
    assert send(simulator, openid=VISITOR, type="text", content="长" * 1000).get_json()["errcode"] == 45002
    assert send(simulator, openid=VISITOR, type="click").get_json()["errcode"] == 40019


def test_service_down_is_a_502_with_a_reason(sandbox, simulator):
    sandbox.state.settings = type(sandbox.state.settings)(**{**sandbox.state.settings.__dict__,
                                                             "service_url": "http://127.0.0.1:9"})
    response = send(simulator, openid=VISITOR, type="subscribe")
    data = response.get_json()
    assert response.status_code == 502 and data["errcode"] == -1 and "无法连接服务" in data["reason"]


def test_session_switch_sets_the_user_and_forgets_the_service_session(simulator):
    response = simulator.post("/simulator/api/session", json={"openid": VISITOR})
    assert response.status_code == 200 and response.get_json()["user"]["openid"] == VISITOR
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"mock_openid={VISITOR};") for c in cookies)
    assert any(c.startswith("session=;") and "Expires=Thu, 01 Jan 1970" in c for c in cookies)
    assert simulator.post("/simulator/api/session", json={"openid": "x"}).get_json()["errcode"] == 40003


def test_the_page_is_branded_from_the_service_config(simulator):
    page = simulator.get("/simulator/").get_data(as_text=True)
    assert "测试农商银行" in page and "#123abc" in page
    assert simulator.get("/simulator/static/simulator.js").status_code == 200
    assert simulator.get("/simulator/static/simulator.css").status_code == 200


def test_news_and_other_replies_become_json():
    news = ArticlesReply(source="gh_sandbox", target=VISITOR)
    news.add_article({"title": "理财产品", "description": "稳健型", "image": "https://x.cn/a.png",
                      "url": "https://x.cn/h5/products"})
    assert parse_reply(news.render()) == {"type": "news", "articles": [
        {"title": "理财产品", "description": "稳健型", "picurl": "https://x.cn/a.png", "url": "https://x.cn/h5/products"},
    ]}
    assert parse_reply(ImageReply(source="gh_sandbox", target=VISITOR, media_id="m1").render()) == {"type": "image"}
    assert parse_reply("") is None


def test_the_location_picker_sends_a_location_message_and_a_location_report(sandbox, simulator):
    send(simulator, openid=VISITOR, type="subscribe")
    data = send(simulator, openid=VISITOR, type="location", place="market").get_json()
    assert data["errcode"] == 0 and "已收到您发送的位置「城东农贸市场」" in data["reply"]["content"]
    user = sandbox.state.user(VISITOR)
    assert user.last_interaction is not None and user.message_used == 0  # a message: the 48-hour window opens
    with sandbox.service.app_context():
        assert (last_location(VISITOR).latitude, last_location(VISITOR).source) == (30.283, "message")
    data = send(simulator, openid=VISITOR, type="location_report", latitude=30.5, longitude=114.3).get_json()
    assert data["errcode"] == 0 and data["reply"] is None  # the report gets "success"
    with sandbox.service.app_context():
        assert (last_location(VISITOR).latitude, last_location(VISITOR).source) == (30.5, "event")


@pytest.mark.parametrize("body", [{"place": "moon"}, {"latitude": 91, "longitude": 0}, {"latitude": "x"}, {}])
def test_a_place_that_is_not_one_is_refused(sandbox, simulator, body):
    send(simulator, openid=VISITOR, type="subscribe")
    response = send(simulator, openid=VISITOR, type="location", **body)
    assert response.status_code == 400 and response.get_json()["errcode"] == 40008
