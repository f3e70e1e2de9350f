"""网页授权: the authorize redirect and the single-use, five-minute code."""

from urllib.parse import parse_qs, urlsplit

import pytest

from .mock_calls import APP_ID, APP_SECRET, FOLLOWER, NOT_FOLLOWING, UNKNOWN, assert_errcode

REDIRECT = "http://127.0.0.1:5000/bind?from=menu"


def authorize_query(**overrides) -> dict:
    query = {"appid": APP_ID, "redirect_uri": REDIRECT, "response_type": "code", "scope": "snsapi_base",
             "state": "xyz123", "mock_openid": FOLLOWER}
    query.update(overrides)
    return {k: v for k, v in query.items() if v is not None}


def authorize(client, **overrides) -> str:
    response = client.get("/connect/oauth2/authorize", query_string=authorize_query(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def exchange(client, code: str = "", **overrides) -> dict:
    query = {"appid": APP_ID, "secret": APP_SECRET, "code": code, "grant_type": "authorization_code", **overrides}
    return client.get("/sns/oauth2/access_token", query_string=query).get_json()


def code_from(location: str) -> str:
    return parse_qs(urlsplit(location).query)["code"][0]


def test_authorize_redirects_back_with_code_and_state(mock_client):
    location = urlsplit(authorize(mock_client))
    assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1:5000", "/bind")
    query = parse_qs(location.query)
    assert query["from"] == ["menu"] and query["state"] == ["xyz123"] and len(query["code"][0]) == 32


def test_code_exchange_gives_the_openid_once(mock_client):
    code = code_from(authorize(mock_client, scope="snsapi_userinfo"))
    answer = exchange(mock_client, code)
    assert answer["openid"] == FOLLOWER and answer["scope"] == "snsapi_userinfo"
    assert answer["expires_in"] == 7200 and answer["access_token"] and answer["refresh_token"]
    assert_errcode(exchange(mock_client, code), 40163)


def test_code_expires_after_five_minutes(mock_client, clock):
    fresh, stale = code_from(authorize(mock_client)), code_from(authorize(mock_client))
    clock.advance(300)
    assert exchange(mock_client, fresh)["openid"] == FOLLOWER
    clock.advance(1)
    assert_errcode(exchange(mock_client, stale), 40029)


def test_the_simulators_cookie_picks_the_user(mock_client):
    mock_client.set_cookie("mock_openid", NOT_FOLLOWING)  # OAuth works for non-followers too
    code = code_from(authorize(mock_client, mock_openid=None))
    assert exchange(mock_client, code)["openid"] == NOT_FOLLOWING


def test_mock_openid_is_not_accepted_by_the_code_exchange(mock_client):
    assert_errcode(exchange(mock_client, "made-up", mock_openid=FOLLOWER), 40029)


@pytest.mark.parametrize("overrides,reason", [
    ({"appid": "wx0000000000000bad"}, "appid"),
    ({"redirect_uri": None}, "redirect_uri"),
    ({"redirect_uri": "javascript:alert(1)"}, "redirect_uri"),
    ({"redirect_uri": "https://evil.example.com/steal"}, "10003"),
    ({"response_type": "token"}, "response_type"),
    ({"scope": "snsapi_login"}, "10005"),
    ({"mock_openid": None}, "mock_openid"),
    ({"mock_openid": UNKNOWN}, "unknown simulated user"),
])
def test_bad_authorize_requests_are_400_with_a_reason(mock_client, overrides, reason):
    response = mock_client.get("/connect/oauth2/authorize", query_string=authorize_query(**overrides))
    assert response.status_code == 400 and reason in response.get_data(as_text=True)


def test_the_public_domain_is_an_allowed_redirect(mock_client):
    assert authorize(mock_client, redirect_uri="https://wx.bank.example.cn/bind").startswith(
        "https://wx.bank.example.cn/bind?code=")


@pytest.mark.parametrize("overrides,errcode", [
    ({"appid": ""}, 41002),
    ({"appid": "wx0000000000000bad"}, 40013),
    ({"secret": ""}, 41004),
    ({"secret": "wrong"}, 40125),
    ({"code": ""}, 41008),
    ({"grant_type": "client_credential"}, 40002),
    ({"code": "never-issued"}, 40029),
])
def test_bad_code_exchanges_are_refused(mock_client, overrides, errcode):
    overrides.setdefault("code", code_from(authorize(mock_client)))
    assert_errcode(exchange(mock_client, **overrides), errcode)
