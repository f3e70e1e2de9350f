"""The H5 entry: WeChat OAuth2 against the mock WeChat API, and what may never identify a customer."""

import time
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER, safe_next
from {{ cookiecutter.bank_slug }}.shared.masking import mask_openid

from ..helpers import PRODUCTION_SMS, free_port
from ..live_sandbox import live_sandbox

ALICE = "oAlice0000000000000000000001"
BOB = "oBob00000000000000000000002X"


@pytest.fixture
def sandbox(make_app):
    app = make_app(BANK_SHORT_NAME="测试银行", BRAND_COLOR="#c0392b", SERVICE_HOTLINE="96000")
    with live_sandbox(app) as live:
        for openid, nickname in ((ALICE, "爱丽丝"), (BOB, "鲍勃")):
            live.state.add_user(openid, nickname)
        yield live


@pytest.fixture
def service(sandbox):
    return sandbox.service.test_client()


@pytest.fixture
def wechat(sandbox):
    """The customer's browser at the mock's authorize page (the Flask test client of the mock app)."""
    return sandbox.mock.test_client()


def authorize(wechat, location: str, openid: str) -> str:
    """What WeChat does with the authorize URL: the callback URL (with code and state) for this user."""
    url = urlsplit(location)
    response = wechat.get(url.path, query_string=parse_qsl(url.query) + [("mock_openid", openid)])
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def callback_path(callback_url: str) -> str:
    url = urlsplit(callback_url)
    return f"{url.path}?{url.query}"


def log_in(service, wechat, openid: str, path: str = "/h5/"):
    """The whole dance; returns the final response of the service's callback."""
    start = service.get(path)
    assert start.status_code == 302
    return service.get(callback_path(authorize(wechat, start.headers["Location"], openid)))


def test_the_redirect_dance_identifies_the_customer(sandbox, service, wechat):
    start = service.get("/h5/")
    assert start.status_code == 302
    location = start.headers["Location"]
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}" == sandbox.mock_url and url.path == "/connect/oauth2/authorize"
    assert url.fragment == "wechat_redirect"
    query = parse_qs(url.query)
    assert query["appid"] == [sandbox.service.config["WECHAT_APP_ID"]]
    assert query["redirect_uri"] == [f"{sandbox.service_url}/h5/oauth/callback"]
    assert query["response_type"] == ["code"] and query["scope"] == ["snsapi_base"]
    assert len(query["state"][0]) >= 16
    assert list(dict(parse_qsl(url.query))) == ["appid", "redirect_uri", "response_type", "scope", "state"]

    callback = authorize(wechat, location, ALICE)
    assert callback.startswith(f"{sandbox.service_url}/h5/oauth/callback?")
    done = service.get(callback_path(callback))
    assert done.status_code == 302 and done.headers["Location"] == "/h5/"

    hall = service.get("/h5/")
    page = hall.get_data(as_text=True)
    assert hall.status_code == 200
    assert mask_openid(ALICE) in page and ALICE not in page
    assert "服务大厅" in page and "测试银行" in page and "#c0392b" in page and "96000" in page
    for title in ("绑定银行卡", "余额", "转账", "理财产品", "动账提醒设置"):
        assert title in page
    assert "即将开通" not in page  # every service of the hall has its page now


def test_the_page_asked_for_is_where_the_customer_lands(service, wechat):
    done = log_in(service, wechat, ALICE, "/h5/cards?from=menu")
    assert done.headers["Location"] == "/h5/cards?from=menu"
    page = service.get("/h5/cards?from=menu")
    assert page.status_code == 200 and mask_openid(ALICE) in page.get_data(as_text=True)


def test_unknown_h5_page_is_a_chinese_404(service, wechat):
    log_in(service, wechat, ALICE)
    response = service.get("/h5/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_wrong_state_is_refused_with_a_retry_link(service, wechat):
    start = service.get("/h5/alerts")
    callback = authorize(wechat, start.headers["Location"], ALICE)
    url = urlsplit(callback)
    forged = [(k, "forged-state" if k == "state" else v) for k, v in parse_qsl(url.query)]
    response = service.get(url.path, query_string=forged)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "state 不匹配" in page and 'href="/h5/alerts"' in page and "重新进入" in page
    assert service.get("/h5/").status_code == 302  # still nobody


def test_callback_without_a_started_login_is_refused(service):
    response = service.get("/h5/oauth/callback?code=abc&state=xyz")
    assert response.status_code == 400 and "已过期" in response.get_data(as_text=True)


def test_callback_without_code_is_refused(service):
    start = service.get("/h5/")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    response = service.get("/h5/oauth/callback", query_string={"state": state})
    assert response.status_code == 400 and "未获得微信授权" in response.get_data(as_text=True)


def test_a_used_code_is_refused(sandbox, service, wechat):
    start = service.get("/h5/")
    callback = authorize(wechat, start.headers["Location"], ALICE)
    assert service.get(callback_path(callback)).status_code == 302
    code = parse_qs(urlsplit(callback).query)["code"][0]

    other = sandbox.service.test_client()  # another browser replays the code with its own, valid state
    state = parse_qs(urlsplit(other.get("/h5/").headers["Location"]).query)["state"][0]
    response = other.get("/h5/oauth/callback", query_string={"code": code, "state": state})
    assert response.status_code == 400 and "已使用" in response.get_data(as_text=True)
    assert other.get("/h5/").status_code == 302


def test_an_expired_code_is_refused(sandbox, service, wechat):
    start = service.get("/h5/")
    callback = authorize(wechat, start.headers["Location"], ALICE)
    issued = time.time()
    sandbox.state.clock = lambda: issued + sandbox.state.settings.oauth_code_ttl_seconds + 1
    response = service.get(callback_path(callback))
    assert response.status_code == 400 and "已过期" in response.get_data(as_text=True)


def test_an_invented_code_is_refused(service):
    start = service.get("/h5/")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    response = service.get("/h5/oauth/callback", query_string={"code": "0" * 32, "state": state})
    assert response.status_code == 400 and "重新进入" in response.get_data(as_text=True)



def test_wechat_unreachable_is_a_503_page_not_a_500(sandbox, service, wechat):
    start = service.get("/h5/")
    callback = authorize(wechat, start.headers["Location"], ALICE)
    sandbox.service.config["WECHAT_SANDBOX_API_URL"] = f"http://127.0.0.1:{free_port()}"
    response = service.get(callback_path(callback))
    assert response.status_code == 503 and "稍后重试" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "https://evil.example.com/",
    "//evil.example.com/h5/",
    "/\\evil.example.com",
    "javascript:alert(1)",
    "/h5/\r\nSet-Cookie: x=1",
    "",
])
def test_no_open_redirect_after_login(service, wechat, target):
    start = service.get("/h5/oauth/start", query_string={"next": target})
    assert start.status_code == 302
    done = service.get(callback_path(authorize(wechat, start.headers["Location"], ALICE)))
    assert done.status_code == 302 and done.headers["Location"] == "/h5/"


def test_same_site_paths_are_kept():
    assert safe_next("/h5/balance?card=1") == "/h5/balance?card=1"
    assert safe_next("/h5/") == "/h5/"
    for bad in ("http://x.cn/", "//x.cn", "/\\x.cn", "h5/", None, "/h5/\x00"):
        assert safe_next(bad) == "/h5/"


def test_openid_in_the_query_string_is_never_trusted(service, wechat):
    response = service.get("/h5/", query_string={"openid": ALICE})
    assert response.status_code == 302 and "/connect/oauth2/authorize" in response.headers["Location"]
    assert service.get("/h5/oauth/callback", query_string={"openid": ALICE}).status_code == 400

    log_in(service, wechat, ALICE)
    page = service.get("/h5/", query_string={"openid": BOB}).get_data(as_text=True)
    assert mask_openid(ALICE) in page and mask_openid(BOB) not in page


def test_the_h5_session_expires(service, wechat):
    log_in(service, wechat, ALICE)
    assert service.get("/h5/").status_code == 200
    with service.session_transaction() as session:
        session[SESSION_CUSTOMER] = {**session[SESSION_CUSTOMER], "at": int(time.time()) - 31 * 60}
    assert service.get("/h5/").status_code == 302


def test_production_authorizes_at_open_weixin(make_app):
    app = make_app(WECHAT_SANDBOX="0", PUBLIC_DOMAIN="wx.bank.example.cn", **PRODUCTION_SMS)
    assert app.config["PUBLIC_BASE_URL"] == "https://wx.bank.example.cn"
    location = app.test_client().get("/h5/").headers["Location"]
    assert location.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?appid=")
    assert "redirect_uri=https%3A%2F%2Fwx.bank.example.cn%2Fh5%2Foauth%2Fcallback" in location
