"""wechatpy's client on the shared token store: the token comes from the store, WeChat's 40001/42001
answers cause one forced refresh naming the rejected token, retries are bounded, and neither the
AppSecret nor a token appears in an error. WeChat is a stand-in HTTP session here; the real mock
server and several processes are in test_wechat_token_processes.py."""

import json

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from {{ cookiecutter.bank_slug }}.wechat.client import (
    MAX_TOKEN_RETRIES,
    SharedTokenWeChatClient,
    get_client,
    make_client,
)
from {{ cookiecutter.bank_slug }}.wechat.token_store import mask_token, token_store


class FakeResponse:
    def __init__(self, payload: dict, status: int = 200) -> None:
        self.payload, self.status_code, self.request = payload, status, None
        self.content = json.dumps(payload).encode()

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} for url", response=self)

    def json(self) -> dict:
        return self.payload


class FakeWeChat:
    """Plays api.weixin.qq.com for one client: issues tokens, answers API calls (errors first)."""

    def __init__(self, api_errcodes=(), token_payload: dict | None = None, name: str = "TOKEN") -> None:
        self.name = name
        self.api_errcodes = list(api_errcodes)
        self.token_payload = token_payload
        self.token_urls, self.tokens, self.api_tokens = [], [], []

    def post(self, url, json=None, timeout=None):  # POST /cgi-bin/stable_token (the default endpoint)
        self.forced = [*getattr(self, "forced", []), json["force_refresh"]]
        return self.get(url, timeout=timeout)

    def get(self, url, params=None, timeout=None):
        self.token_urls.append(url)
        if self.token_payload is not None:
            return FakeResponse(self.token_payload)
        token = f"{self.name}{len(self.tokens) + 1}-" + "y" * 60
        self.tokens.append(token)
        return FakeResponse({"access_token": token, "expires_in": 7200})

    def request(self, method, url, params=None, **kwargs):
        self.api_tokens.append(params["access_token"])
        if self.api_errcodes:
            return FakeResponse({"errcode": self.api_errcodes.pop(0), "errmsg": "token rejected"})
        return FakeResponse({"errcode": 0, "errmsg": "ok"})


def _client(app, wechat: FakeWeChat) -> SharedTokenWeChatClient:
    with app.app_context():
        client = get_client()
    client._http = wechat
    return client


def test_make_client_uses_the_apps_shared_store_and_the_sandbox_url(app):
    with app.app_context():
        client = make_client(app.config)
    assert isinstance(client, SharedTokenWeChatClient)
    assert client.store is token_store(app)
    wechat = FakeWeChat()
    client._http = wechat
    client.message.send_text("o-user", "你好")
    assert wechat.token_urls == [app.config["WECHAT_SANDBOX_API_URL"].rstrip("/") + "/cgi-bin/stable_token"]
    assert client.store.current().token == wechat.tokens[0] == wechat.api_tokens[0]


def test_clients_share_one_token_through_the_store(app):
    first, second = FakeWeChat(), FakeWeChat()
    _client(app, first).message.send_text("o-user", "a")
    _client(app, second).message.send_text("o-user", "b")
    assert len(first.tokens) == 1 and second.tokens == []
    assert second.api_tokens == first.tokens


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_a_rejected_token_is_refreshed_once_and_the_call_retried(app, errcode):
    wechat = FakeWeChat(api_errcodes=[errcode])
    client = _client(app, wechat)
    assert client.message.send_text("o-user", "hi")["errcode"] == 0
    assert len(wechat.tokens) == 2
    assert wechat.api_tokens == wechat.tokens  # the retry carried the new token
    assert client.store.current().token == wechat.tokens[1]


def test_a_token_already_replaced_by_another_process_is_not_fetched_again(app):
    wechat = FakeWeChat()
    client = _client(app, wechat)
    client.message.send_text("o-user", "warm up")
    stale = wechat.tokens[0]
    other = _client(app, FakeWeChat(name="OTHER"))
    other.refresh_access_token(stale)  # another process met 40001 first and refreshed
    fresh = client.store.current().token
    wechat.api_errcodes = [40001]  # our call was sent with the stale token
    client._request("post", "message/custom/send", params={"access_token": stale}, data={})
    assert wechat.tokens == [stale]  # we fetched nothing
    assert wechat.api_tokens[-1] == fresh


def test_retries_are_bounded_and_the_error_then_reaches_the_caller(make_app):
    app = make_app(WECHAT_TOKEN_ENDPOINT="legacy")  # every legacy fetch is a new token: no forced-refresh guard
    wechat = FakeWeChat(api_errcodes=[40001] * 10)
    client = _client(app, wechat)
    with pytest.raises(WeChatClientException) as caught:
        client.message.send_text("o-user", "hi")
    assert caught.value.errcode == 40001
    assert len(wechat.api_tokens) == 1 + MAX_TOKEN_RETRIES
    assert len(wechat.tokens) == 1 + MAX_TOKEN_RETRIES
    wechat.api_errcodes = []
    assert client.message.send_text("o-user", "again")["errcode"] == 0  # the retry budget is per call


def test_a_second_forced_stable_refresh_within_30_s_is_refused_locally(app, caplog):
    wechat = FakeWeChat(api_errcodes=[40001] * 10)
    client = _client(app, wechat)
    with pytest.raises(WeChatClientException, match="refused locally.*within 30 s"):
        client.message.send_text("o-user", "hi")
    assert wechat.forced == [False, True]  # normal mode, then one forced refresh; the second was not asked
    assert len(wechat.api_tokens) == 2
    assert "refused locally" in caplog.text
    assert client.store.current().forced_today(client.store.clock()) == 1


def test_only_40001_on_the_stored_token_forces_a_stable_refresh(app):
    wechat = FakeWeChat(api_errcodes=[42001])
    client = _client(app, wechat)
    client.message.send_text("o-user", "hi")  # 42001 (expired): normal mode is enough
    wechat.api_errcodes = [40001]
    client.message.send_text("o-user", "hi")
    assert wechat.forced == [False, False, True]


def test_other_errors_are_not_retried(app):
    wechat = FakeWeChat(api_errcodes=[45015])
    client = _client(app, wechat)
    with pytest.raises(WeChatClientException) as caught:
        client.message.send_text("o-user", "hi")
    assert caught.value.errcode == 45015 and len(wechat.tokens) == 1 and len(wechat.api_tokens) == 1


def test_a_refused_token_request_is_an_error_and_stores_nothing(app):
    client = _client(app, FakeWeChat(token_payload={"errcode": 40125, "errmsg": "invalid appsecret"}))
    with pytest.raises(WeChatClientException) as caught:
        client.message.send_text("o-user", "hi")
    assert caught.value.errcode == 40125
    assert client.store.current() is None


def test_network_errors_name_neither_the_secret_nor_the_token(make_app):
    app = make_app(WECHAT_SANDBOX_API_URL="http://127.0.0.1:9")  # discard port: nothing listens
    with app.app_context():
        client = get_client()
    with pytest.raises(requests.ConnectionError) as caught:  # still requests' exception, for its callers
        client.message.send_text("o-user", "hi")
    assert "secret" not in str(caught.value) and app.config["WECHAT_APP_SECRET"] not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    client._http = FakeWeChat()
    token = client.access_token
    client._http = requests.Session()
    with pytest.raises(requests.ConnectionError) as caught:
        client.message.send_text("o-user", "hi")
    assert "message/custom/send" in str(caught.value)
    assert token not in str(caught.value) and caught.value.__suppress_context__


def test_an_unusable_token_answer_is_a_wechatpy_error(app):
    client = _client(app, FakeWeChat(token_payload={"expires_in": 7200}))  # no access_token in it
    with pytest.raises(WeChatClientException, match="no usable access_token"):
        client.message.send_text("o-user", "hi")


def test_wechatpy_fetch_hook_is_a_forced_refresh_through_the_store(app):
    wechat = FakeWeChat()
    client = _client(app, wechat)
    result = client.fetch_access_token()
    assert result["access_token"] == wechat.tokens[0] == client.store.current().token
    assert 7100 < result["expires_in"] <= 7200


def test_cli_shows_the_token_masked_and_refresh_replaces_it(app, monkeypatch):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["wechat", "token"])
    assert result.exit_code == 0, result.output
    assert "database" in result.output and "none yet" in result.output

    wechat = FakeWeChat()
    monkeypatch.setattr(requests.Session, "post", lambda self, url, **kw: wechat.post(url, **kw))
    result = runner.invoke(args=["wechat", "token", "--refresh"])
    assert result.exit_code == 0, result.output
    token = wechat.tokens[0]
    assert token not in result.output and mask_token(token) in result.output
    assert "refresh no. 1" in result.output and "valid for" in result.output

    result = runner.invoke(args=["wechat", "token", "--refresh"])
    assert len(wechat.tokens) == 2 and "refresh no. 2" in result.output
    assert wechat.forced == [False, True] and "Forced: 1 of 20 today" in result.output

    result = runner.invoke(args=["wechat", "token", "--refresh"])  # a second forced one within 30 s
    assert result.exit_code == 1 and "not asked" in result.output and "30 s" in result.output
    assert len(wechat.tokens) == 2


def test_cli_names_the_ip_whitelist_fix_for_40164(app, monkeypatch):
    wechat = FakeWeChat(token_payload={"errcode": 40164, "errmsg": "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, "
                                                                   "not in whitelist rid: 1"})
    monkeypatch.setattr(requests.Session, "post", lambda self, url, **kw: wechat.post(url, **kw))
    result = app.test_cli_runner().invoke(args=["wechat", "token", "--refresh"])
    assert result.exit_code == 1
    assert "40164" in result.output and "IP白名单" in result.output and "设置与开发 → 基本配置" in result.output


def test_cli_refresh_failure_is_a_message_not_a_traceback(make_app):
    app = make_app(WECHAT_SANDBOX_API_URL="http://127.0.0.1:9")
    result = app.test_cli_runner().invoke(args=["wechat", "token", "--refresh"])
    assert result.exit_code == 1 and "cannot reach the WeChat API" in result.output
    assert app.config["WECHAT_APP_SECRET"] not in result.output
    assert not isinstance(result.exception, requests.RequestException)
