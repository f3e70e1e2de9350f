"""Fault injection: rates drawn from a seeded RNG, latency and timeouts through the (fake) sleep."""

import pytest

from .mock_calls import FOLLOWER, api_get, api_post, assert_errcode, fetch_token, token_query

DEFAULTS = {"latency_ms": 0, "timeout_rate": 0.0, "http_5xx_rate": 0.0, "errcodes": {}, "seed": None}


def set_faults(client, **faults):
    response = client.put("/_mock/faults", json=faults)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def user_info_errcodes(client, token, calls):
    return [api_get(client, "/cgi-bin/user/info", token, openid=FOLLOWER).get("errcode", 0) for _ in range(calls)]


def test_no_faults_by_default(mock_client):
    assert mock_client.get("/_mock/faults").get_json() == DEFAULTS


def test_errcodes_are_injected_at_their_rate_and_repeat_with_the_seed(mock_client, token, state):
    set_faults(mock_client, errcodes={"45009": 0.25, "-1": 0.25}, seed=42)
    first = user_info_errcodes(mock_client, token, 400)
    assert 60 <= first.count(45009) <= 140 and 60 <= first.count(-1) <= 140
    assert set(first) == {0, 45009, -1}
    set_faults(mock_client, errcodes={"45009": 0.25, "-1": 0.25}, seed=42)
    assert user_info_errcodes(mock_client, token, 400) == first
    assert state.stats()["faults_injected"] == 2 * (400 - first.count(0))


def test_an_injected_error_has_no_effect(mock_client, token):
    set_faults(mock_client, errcodes={"-1": 1.0})
    body = {"touser": FOLLOWER, "msgtype": "text", "text": {"content": "hi"}}
    assert_errcode(api_post(mock_client, "/cgi-bin/message/custom/send", token, body), -1)
    assert_errcode(mock_client.get("/cgi-bin/token", query_string=token_query()).get_json(), -1)
    set_faults(mock_client)
    assert api_post(mock_client, "/cgi-bin/message/custom/send", token, body)["errcode"] == 0  # token still valid
    kinds = [r["kind"] for r in mock_client.get("/_mock/records").get_json()["records"]]
    assert kinds == ["token", "custom"]


def test_oauth_code_exchange_is_faulted_but_not_the_control_api(mock_client):
    set_faults(mock_client, errcodes={"45009": 1.0})
    assert_errcode(mock_client.get("/sns/oauth2/access_token").get_json(), 45009)
    assert mock_client.get("/_mock/stats").status_code == 200
    assert mock_client.get("/connect/oauth2/authorize").status_code == 400  # its own checks, no fault


def test_http_5xx(mock_client, token):
    set_faults(mock_client, http_5xx_rate=1.0)
    response = mock_client.get("/cgi-bin/menu/get", query_string={"access_token": token})
    assert response.status_code == 503


def test_timeout_holds_the_answer_for_the_timeout_setting(mock_client, token, sleeps):
    set_faults(mock_client, timeout_rate=1.0)
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", token), -1)
    assert sleeps == [10.0]


def test_latency_delays_every_call(mock_client, token, sleeps):
    set_faults(mock_client, latency_ms=250)
    assert_errcode(api_get(mock_client, "/cgi-bin/menu/get", token), 46003)
    fetch_token(mock_client)
    assert sleeps == [0.25, 0.25]
    mock_client.get("/_mock/records")
    assert sleeps == [0.25, 0.25]


@pytest.mark.parametrize("body,reason", [
    ([], "JSON"),
    ({"latency": 5}, "unknown field"),
    ({"latency_ms": -1}, "latency_ms"),
    ({"latency_ms": True}, "latency_ms"),
    ({"latency_ms": 60_001}, "latency_ms"),
    ({"timeout_rate": 1.5}, "timeout_rate"),
    ({"http_5xx_rate": -0.1}, "http_5xx_rate"),
    ({"http_5xx_rate": "0.1"}, "http_5xx_rate"),
    ({"errcodes": {"12345": 0.1}}, "unknown errcode"),
    ({"errcodes": {"abc": 0.1}}, "unknown errcode"),
    ({"errcodes": {"0": 0.1}}, "unknown errcode"),
    ({"errcodes": [45009]}, "errcodes"),
    ({"errcodes": {"45009": 0.6}, "timeout_rate": 0.5}, "add up"),
    ({"seed": "x"}, "seed"),
])
def test_bad_fault_settings_are_400(mock_client, body, reason):
    response = mock_client.put("/_mock/faults", json=body)
    assert response.status_code == 400 and reason in response.get_json()["error"]
    assert mock_client.get("/_mock/faults").get_json() == DEFAULTS


def test_fault_settings_are_not_json(mock_client):
    response = mock_client.put("/_mock/faults", data="latency=5", content_type="text/plain")
    assert response.status_code == 415 and "JSON" in response.get_json()["error"]  # guard.py
