"""The one base-URL rule (wechat/client/base.py): the sync client, the async client and OAuth2 talk to
the mock WeChat in sandbox mode and to WeChat's own hosts otherwise, and no module outside wechat/
and sandbox/ names a WeChat host or reads WECHAT_SANDBOX_API_URL. The calls that go out here go to a
stand-in WeChat on a loopback port; nothing leaves 127.0.0.1."""

import asyncio
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

import {{ cookiecutter.bank_slug }} as package
from {{ cookiecutter.bank_slug }}.settings import load_config
from {{ cookiecutter.bank_slug }}.wechat import oauth
from {{ cookiecutter.bank_slug }}.wechat.client import MP, OPEN, api_base_url, base_url, make_client
from {{ cookiecutter.bank_slug }}.wechat.client.aio import TRANSPORT, AsyncWeChatClient, CachedTokenStore
from {{ cookiecutter.bank_slug }}.wechat.token_store import FetchedToken

from .conftest import make_config

pytestmark = pytest.mark.smoke

MOCK = "http://127.0.0.1:5999"
HOSTS = ("api.weixin.qq.com", "open.weixin.qq.com", "mp.weixin.qq.com")
READS_SANDBOX_URL = re.compile(r"""\[\s*["']WECHAT_SANDBOX_API_URL["']\s*\]|\.get\(\s*["']WECHAT_SANDBOX_API_URL""")


def config(sandbox: bool, url: str = MOCK + "/") -> dict:
    """A whole checked configuration, as the app would have it."""
    return load_config(make_config("sqlite://", WECHAT_SANDBOX="1" if sandbox else "0", WECHAT_SANDBOX_API_URL=url,
                                   WECHAT_APP_ID="wx0123456789abcdef", WECHAT_APP_SECRET="s" * 32,
                                   PUBLIC_BASE_URL="https://wx.bank.example.cn"))


class StandInWeChat:
    """A loopback HTTP server answering each request with the next queued JSON (or raw bytes)."""

    def __init__(self, answers: list) -> None:
        self.answers, self.requests = list(answers), []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.answer(self, b"")

            def do_POST(self):
                stand_in.answer(self, self.rfile.read(int(self.headers["Content-Length"])))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self.requests.append((handler.command, handler.path, body))
        answer = self.answers.pop(0)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def __enter__(self) -> "StandInWeChat":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class MemoryStore:
    """The shared store's interface, in memory: hands out the fetched token, replaces it on refresh."""

    clock = staticmethod(lambda: 0.0)

    def __init__(self) -> None:
        self.token, self.refreshed = None, []

    def current(self):
        return None

    def get(self, fetch) -> str:
        if self.token is None:
            self.token = fetch().token
        return self.token

    def refresh(self, fetch, stale_token=None, errcode=None) -> str:
        self.refreshed.append(stale_token)
        self.token = fetch().token
        return self.token


def tokens(*values):
    issued = iter(values)
    return lambda: FetchedToken(next(issued), 7200)


def _run(client: AsyncWeChatClient, payload: dict):
    """One template send on the client's own loop, from this (test) thread."""
    return asyncio.run_coroutine_threadsafe(client.send_template(payload), client.loop).result(timeout=10)


def test_the_rule_gives_the_mock_in_sandbox_and_wechat_otherwise():
    assert base_url(config(True)) == MOCK and base_url(config(True), OPEN) == MOCK
    assert api_base_url(config(True)) == MOCK + "/cgi-bin/"
    assert base_url(config(False)) == "https://api.weixin.qq.com"
    assert base_url(config(False), OPEN) == "https://open.weixin.qq.com"
    assert api_base_url(config(False)) == "https://api.weixin.qq.com/cgi-bin/"
    assert base_url(config(False), MP) == "https://mp.weixin.qq.com"  # showqrcode
    assert base_url(config(True), MP) == MOCK
    with pytest.raises(ValueError):
        base_url(config(False), "qyapi")


def test_sync_client_follows_the_rule():
    assert make_client(config(True), store=MemoryStore()).API_BASE_URL == MOCK + "/cgi-bin/"
    assert make_client(config(False), store=MemoryStore()).API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"


def test_async_client_follows_the_rule_and_replaces_a_rejected_token_once():
    with StandInWeChat([{"errcode": 40001, "errmsg": "invalid credential"},
                        {"errcode": 0, "errmsg": "ok", "msgid": 4242}]) as wechat:
        store = MemoryStore()
        client = AsyncWeChatClient(api_base_url(config(True, wechat.url)), CachedTokenStore(store),
                                   tokens("T1", "T2"), timeout=5, concurrency=2)
        try:
            answer = _run(client, {"touser": "o1"})
        finally:
            client.close()
    assert answer.ok and answer.msgid == "4242"
    assert [(method, urlsplit(path).path) for method, path, _ in wechat.requests] == [
        ("POST", "/cgi-bin/message/template/send")] * 2
    assert [parse_qs(urlsplit(path).query)["access_token"] for _, path, _ in wechat.requests] == [["T1"], ["T2"]]
    assert store.refreshed == ["T1"] and json.loads(wechat.requests[0][2]) == {"touser": "o1"}


def test_async_client_on_wechat_s_host_outside_sandbox_and_no_json_is_a_transport_failure():
    real = AsyncWeChatClient(api_base_url(config(False)), CachedTokenStore(MemoryStore()), tokens("T"), 5, 1)
    real.close()
    assert real.base_url == "https://api.weixin.qq.com/cgi-bin/"
    with StandInWeChat([b"<html>busy</html>"]) as wechat:
        client = AsyncWeChatClient(api_base_url(config(True, wechat.url)), CachedTokenStore(MemoryStore()),
                                   tokens("T"), 5, 1)
        try:
            answer = _run(client, {})
        finally:
            client.close()
    assert answer.failure == TRANSPORT and not answer.ok and "T" not in answer.error.split()


def test_oauth_follows_the_rule():
    sandbox = oauth.authorize_url(config(True), "https://wx.bank.example.cn/h5/oauth/callback", "st")
    real = oauth.authorize_url(config(False), "https://wx.bank.example.cn/h5/oauth/callback", "st")
    assert sandbox.startswith(MOCK + "/connect/oauth2/authorize?appid=") and sandbox.endswith("#wechat_redirect")
    assert real.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?appid=")
    assert "scope=snsapi_base&state=st#wechat_redirect" in real
    with StandInWeChat([{"openid": "oAlice0000000000000000001"}, {"errcode": 40163, "errmsg": "code been used"}]) \
            as wechat:
        assert oauth.exchange_code(config(True, wechat.url), "c0de") == "oAlice0000000000000000001"
        with pytest.raises(oauth.CodeRejected):
            oauth.exchange_code(config(True, wechat.url), "c0de")
    method, path, _ = wechat.requests[0]
    assert (method, urlsplit(path).path) == ("GET", "/sns/oauth2/access_token")
    assert parse_qs(urlsplit(path).query)["grant_type"] == ["authorization_code"]


def test_no_module_outside_wechat_and_sandbox_knows_where_wechat_is():
    root = Path(package.__file__).parent
    offenders = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if relative.parts[0] in ("wechat", "sandbox") or "__pycache__" in relative.parts:
            continue
        content = path.read_bytes()
        offenders += [f"{relative}: {host}" for host in HOSTS if host.encode() in content]
        if path.suffix == ".py" and READS_SANDBOX_URL.search(content.decode()):
            offenders.append(f"{relative}: reads WECHAT_SANDBOX_API_URL")
    assert offenders == []
