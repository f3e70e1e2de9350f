"""POST /cgi-bin/stable_token as WeChat documents getStableAccessToken: normal mode hands back the same token
while it is valid, forced mode a new one (20 a day, none within 30 s), and the IP whitelist's 40164."""

import pytest

from .mock_calls import APP_ID, APP_SECRET, FOLLOWER, api_post, assert_errcode, fetch_token


def stable(client, force=None, **overrides):
    body = {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET, **overrides}
    if force is not None:
        body["force_refresh"] = force
    return client.post("/cgi-bin/stable_token", json=body).get_json()


def send(client, token):
    return api_post(client, "/cgi-bin/message/custom/send", token,
                    {"touser": FOLLOWER, "msgtype": "text", "text": {"content": "hi"}})


def test_normal_mode_returns_the_same_token_while_it_is_valid(mock_client, state, clock):
    first = stable(mock_client)
    assert first["expires_in"] == 600 and len(first["access_token"]) >= 64
    clock.advance(100)
    again = stable(mock_client, force=False)
    assert again["access_token"] == first["access_token"] and again["expires_in"] == 500
    assert send(mock_client, first["access_token"])["errcode"] == 0
    assert [r.kind for r in state.records_since()].count("token") == 1


def test_normal_mode_renews_in_the_last_5_minutes_and_the_old_token_keeps_working(mock_client, clock):
    first = stable(mock_client)["access_token"]
    clock.advance(600 - 299)
    second = stable(mock_client)["access_token"]
    assert second != first
    assert send(mock_client, first)["errcode"] == 0  # the overlap: valid until its own expiry
    assert send(mock_client, second)["errcode"] == 0
    clock.advance(300)
    assert_errcode(send(mock_client, first), 42001)
    assert send(mock_client, second)["errcode"] == 0


def test_force_refresh_issues_a_new_token_and_the_old_one_stops_working(mock_client, clock):
    first = stable(mock_client)["access_token"]
    forced = stable(mock_client, force=True)
    assert forced["access_token"] != first and forced["expires_in"] == 600
    assert_errcode(send(mock_client, first), 40001)
    assert send(mock_client, forced["access_token"])["errcode"] == 0


def test_a_forced_refresh_within_30_s_of_the_last_does_not_refresh(mock_client, state, clock):
    forced = stable(mock_client, force=True)["access_token"]
    clock.advance(29)
    assert stable(mock_client, force=True)["access_token"] == forced
    clock.advance(1)
    assert stable(mock_client, force=True)["access_token"] != forced
    assert state.stable.forced_today == 2


def test_twenty_forced_refreshes_a_day_then_45009_until_midnight_beijing(mock_client, clock):
    clock.now = 1_700_000_000 - (1_700_000_000 + 8 * 3600) % 86400 + 3600  # 01:00 Beijing time
    for _ in range(20):
        assert "access_token" in stable(mock_client, force=True)
        clock.advance(31)
    assert_errcode(stable(mock_client, force=True), 45009)
    assert "access_token" in stable(mock_client)  # normal mode is not limited by it
    clock.advance(86400)
    assert "access_token" in stable(mock_client, force=True)


@pytest.mark.parametrize(("overrides", "errcode"), [
    ({"grant_type": "password"}, 40002),
    ({"appid": ""}, 41002),
    ({"appid": "wx-someone-else"}, 40013),
    ({"secret": ""}, 41004),
    ({"secret": "wrong"}, 40125),
])
def test_bad_credentials_get_wechats_errcodes(mock_client, overrides, errcode):
    assert_errcode(stable(mock_client, **overrides), errcode)


def test_only_post_json(mock_client):
    assert_errcode(mock_client.get("/cgi-bin/stable_token").get_json(), 43002)
    assert_errcode(mock_client.post("/cgi-bin/stable_token", data=b"").get_json(), 44002)
    assert_errcode(stable(mock_client, force="yes"), 47001)


def test_stable_and_legacy_tokens_are_isolated(mock_client):
    stable_token = stable(mock_client)["access_token"]
    legacy = fetch_token(mock_client)
    assert send(mock_client, stable_token)["errcode"] == 0 and send(mock_client, legacy)["errcode"] == 0


def test_the_ip_whitelist_control_makes_both_token_endpoints_answer_40164(mock_client):
    answer = mock_client.put("/_mock/ip_whitelist", json={"blocked": True, "ip": "198.51.100.20"})
    assert answer.status_code == 200 and answer.get_json() == {"blocked": True, "ip": "198.51.100.20"}
    refused = stable(mock_client)
    assert_errcode(refused, 40164)
    assert "198.51.100.20" in refused["errmsg"] and "not in whitelist" in refused["errmsg"]
    assert_errcode(mock_client.get("/cgi-bin/token", query_string={"grant_type": "client_credential",
                                                                    "appid": APP_ID, "secret": APP_SECRET}).get_json(),
                   40164)
    mock_client.put("/_mock/ip_whitelist", json={"blocked": False})
    assert "access_token" in stable(mock_client)


@pytest.mark.parametrize("body", [{"blocked": "yes"}, {"blocked": True, "ip": "not-an-ip"}, {"what": 1}, []])
def test_the_ip_whitelist_control_refuses_bad_input(mock_client, body):
    answer = mock_client.put("/_mock/ip_whitelist", json=body)
    assert answer.status_code == 400 and answer.get_json()["error"]
