"""The service's own client (wechat/client/sync.py: make_client, wechatpy underneath) against the mock
served on a real loopback port, as in sandbox mode. Nothing may leave 127.0.0.1."""

import threading

import pytest
import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from wechatpy.exceptions import WeChatClientException
from wechatpy.replies import TextReply
from werkzeug.serving import make_server

from {{ cookiecutter.bank_slug }}.sandbox.mock_api import create_mock_app
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.settings import MockSettings
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.templates import ACCOUNT_CHANGE_TEMPLATE_ID
from {{ cookiecutter.bank_slug }}.wechat.client import make_client
from {{ cookiecutter.bank_slug }}.wechat.customer_service import send_reply_later

from .mock_calls import APP_ID, APP_SECRET, FOLLOWER, NOT_FOLLOWING, token_query

ALERT = {
    "thing1": {"value": "工资入账"},
    "amount2": {"value": "¥8000.00"},
    "time3": {"value": "2024年05月10日 09:00"},
    "character_string4": {"value": "0018"},
    "amount5": {"value": "¥20345.67"},
}


class LoopbackOnly(BaseAdapter):
    """Mounted for every other address: a call that would leave the machine fails the test at once."""

    def send(self, request, **kwargs):
        raise AssertionError(f"the client tried to reach {request.url.split('?')[0]} instead of the mock")

    def close(self):
        pass


@pytest.fixture
def live_mock():
    app = create_mock_app(MockSettings(app_id=APP_ID, app_secret=APP_SECRET))
    state = app.extensions["mock_wechat"]
    state.add_user(FOLLOWER, "小青")
    state.add_user(NOT_FOLLOWING, subscribed=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def service(make_app, live_mock):
    _, url = live_mock
    return make_app(WECHAT_SANDBOX="1", WECHAT_SANDBOX_API_URL=url, WECHAT_APP_ID=APP_ID,
                    WECHAT_APP_SECRET=APP_SECRET)


def loopback_client(app, mock_url):
    client = make_client(app.config)
    assert client.API_BASE_URL == mock_url + "/cgi-bin/"
    client._http.mount("http://", LoopbackOnly())
    client._http.mount("https://", LoopbackOnly())
    client._http.mount(mock_url + "/", HTTPAdapter())
    return client


def test_template_and_customer_service_messages_reach_the_mock(service, live_mock):
    state, url = live_mock
    with service.app_context():
        client = loopback_client(service, url)
        answer = client.message.send_template(FOLLOWER, ACCOUNT_CHANGE_TEMPLATE_ID, ALERT,
                                              url="https://wx.bank.example.cn/alerts")
        assert answer["errcode"] == 0 and answer["msgid"]
        client.message.send_text(FOLLOWER, "您的工资已入账。")
        late = TextReply(source="gh_sandbox", target=FOLLOWER, content="查询结果稍后送达。").render()
        send_reply_later(client, FOLLOWER, late)  # the processor's late-delivery path
    sent = [(r.kind, r.openid) for r in state.records_since()]
    assert sent == [("token", None), ("template", FOLLOWER), ("custom", FOLLOWER), ("custom", FOLLOWER)]
    template, text, late_text = state.records_since()[1:]
    assert template.extra["rendered"].startswith("交易类型:工资入账\n交易金额:¥8000.00")
    assert text.payload == {"touser": FOLLOWER, "msgtype": "text", "text": {"content": "您的工资已入账。"}}
    assert late_text.payload["text"]["content"] == "查询结果稍后送达。"
    assert state.stable.issued == 1 and state.tokens_issued == 0  # one stable token for all three calls


def test_mock_errors_reach_the_caller_as_wechatpy_exceptions(service, live_mock):
    state, url = live_mock
    with service.app_context():
        client = loopback_client(service, url)
        with pytest.raises(WeChatClientException) as refused:
            client.message.send_text(NOT_FOLLOWING, "您好")
        assert refused.value.errcode == 43004
        with pytest.raises(WeChatClientException) as bad_template:
            client.message.send_template(FOLLOWER, "no-such-template", ALERT)
        assert bad_template.value.errcode == 40037
    assert [r.kind for r in state.records_since()] == ["token"]


def test_a_stable_token_force_refreshed_elsewhere_is_replaced_and_the_call_retried(service, live_mock):
    state, url = live_mock
    with service.app_context():
        client = loopback_client(service, url)
        client.message.send_text(FOLLOWER, "第一条")
        requests.post(url + "/cgi-bin/stable_token", timeout=5, json={  # someone else forces a new one
            "grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET, "force_refresh": True})
        client.message.send_text(FOLLOWER, "第二条")  # 40001, then our forced refresh gets the same new token
    assert [r.kind for r in state.records_since()] == ["token", "custom", "token", "custom"]
    assert state.stable.forced_today == 1  # ours came within 30 s: WeChat did not refresh again


def test_a_token_superseded_elsewhere_is_replaced_and_the_call_retried(make_app, live_mock):
    state, url = live_mock
    service = make_app(WECHAT_SANDBOX="1", WECHAT_SANDBOX_API_URL=url, WECHAT_APP_ID=APP_ID,
                       WECHAT_APP_SECRET=APP_SECRET, WECHAT_TOKEN_ENDPOINT="legacy")
    with service.app_context():
        client = loopback_client(service, url)
        client.message.send_text(FOLLOWER, "第一条")
        requests.get(url + "/cgi-bin/token", params=token_query(), timeout=5)  # someone else fetches one
        client.message.send_text(FOLLOWER, "第二条")
    assert [r.kind for r in state.records_since()] == ["token", "custom", "token", "token", "custom"]
