"""/cgi-bin/token and the access-token check every other call makes (41001, 40001, 42001)."""

import pytest

from .mock_calls import APP_ID, api_get, assert_errcode, fetch_token, token_query


def test_token_is_issued_with_its_lifetime(mock_client, state):
    answer = mock_client.get("/cgi-bin/token", query_string=token_query()).get_json()
    assert set(answer) == {"access_token", "expires_in"}
    assert answer["expires_in"] == 600 and len(answer["access_token"]) >= 64
    assert state.stats()["tokens_issued"] == 1


@pytest.mark.parametrize("overrides,errcode", [
    ({"grant_type": "password"}, 40002),
    ({"appid": ""}, 41002),
    ({"appid": "wx0000000000000bad"}, 40013),
    ({"secret": ""}, 41004),
    ({"secret": "not-the-secret"}, 40125),
])
def test_bad_credentials_are_refused(mock_client, state, overrides, errcode):
    answer = mock_client.get("/cgi-bin/token", query_string=token_query(**overrides)).get_json()
    assert_errcode(answer, errcode)
    assert state.stats()["tokens_issued"] == 0


def test_a_call_without_token_is_41001(mock_client):
    assert_errcode(mock_client.get("/cgi-bin/menu/get").get_json(), 41001)


def test_an_unknown_token_is_40001(mock_client, token):
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", "made-up-token"), 40001)


def test_a_new_token_supersedes_the_previous_one(mock_client, token):
    newer = fetch_token(mock_client)
    assert newer != token
    assert_errcode(api_get(mock_client, "/cgi-bin/user/info", token, openid="x"), 40001)
    assert_errcode(api_get(mock_client, "/cgi-bin/user/info", newer, openid="x"), 40003)


def test_the_token_expires_after_its_lifetime(mock_client, token, clock):
    clock.advance(599)
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", token), 46003)  # still valid: no menu yet
    clock.advance(1)
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", token), 42001)
    fresh = fetch_token(mock_client)
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", fresh), 46003)


def test_daily_token_quota_is_45009_until_the_next_day(make_mock_client, clock):
    client = make_mock_client(token_daily_quota=2)
    fetch_token(client)
    fetch_token(client)
    assert_errcode(client.get("/cgi-bin/token", query_string=token_query()).get_json(), 45009)
    clock.advance(86400)
    assert fetch_token(client)


def test_token_needs_get(mock_client):
    answer = mock_client.post("/cgi-bin/token", query_string=token_query()).get_json()
    assert_errcode(answer, 43001)


def test_post_only_endpoint_refuses_get(mock_client, token):
    assert_errcode(api_get(mock_client, "/cgi-bin/message/custom/send", token), 43002)


def test_unknown_api_is_404_with_an_errcode(mock_client, token):
    response = mock_client.get("/cgi-bin/no/such/api", query_string={"access_token": token})
    assert response.status_code == 404
    assert_errcode(response.get_json(), 48001)


def test_the_token_record_never_holds_the_whole_token(mock_client, token):
    records = mock_client.get("/_mock/records", query_string={"kind": "token"}).get_json()["records"]
    assert len(records) == 1 and records[0]["payload"]["expires_in"] == 600
    assert token not in str(records) and APP_ID not in str(records)
