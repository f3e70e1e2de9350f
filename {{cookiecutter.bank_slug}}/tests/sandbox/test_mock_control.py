"""/_mock/*: simulated users, records, stats and reset."""

import pytest

from .mock_calls import FOLLOWER, NOT_FOLLOWING, api_post, assert_errcode, fetch_token

CUSTOM_SEND = "/cgi-bin/message/custom/send"


def text_to(openid: str, content: str = "您好") -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def test_users_are_listed(mock_client):
    users = mock_client.get("/_mock/users").get_json()["users"]
    assert [(u["openid"], u["nickname"], u["subscribed"]) for u in users] == [
        (FOLLOWER, "小青", True), (NOT_FOLLOWING, "", False)]


def test_a_user_gets_a_real_looking_openid(mock_client):
    response = mock_client.post("/_mock/users", json={"nickname": "山里人"})
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert len(user["openid"]) == 28 and user["subscribed"] is True and user["nickname"] == "山里人"


def test_a_user_with_a_chosen_openid_once(mock_client):
    openid = "oChosenOpenidForTheTest12345"
    response = mock_client.post("/_mock/users", json={"openid": openid, "subscribed": False})
    assert response.status_code == 201 and response.get_json()["user"]["subscribe_time"] is None
    assert mock_client.post("/_mock/users", json={"openid": openid}).status_code == 409


@pytest.mark.parametrize("body,reason", [
    ({"openid": "short"}, "openid"),
    ({"openid": "o" * 27 + "!"}, "openid"),
    ({"nickname": "长" * 33}, "nickname"),
    ({"nickname": 5}, "nickname"),
    ({"subscribed": "yes"}, "subscribed"),
    ({"name": "x"}, "unknown field"),
    ([], "JSON"),
])
def test_bad_users_are_400(mock_client, body, reason):
    response = mock_client.post("/_mock/users", json=body)
    assert response.status_code == 400 and reason in response.get_json()["error"]


def test_unfollow_and_follow_again(mock_client, token):
    answer = mock_client.post(f"/_mock/users/{FOLLOWER}/unsubscribe").get_json()
    assert answer["user"]["subscribed"] is False
    assert_errcode(api_post(mock_client, CUSTOM_SEND, token, text_to(FOLLOWER)), 43004)
    mock_client.post(f"/_mock/users/{FOLLOWER}/subscribe")
    assert api_post(mock_client, CUSTOM_SEND, token, text_to(FOLLOWER))["errcode"] == 0


def test_following_an_unknown_user_is_404(mock_client):
    assert mock_client.post("/_mock/users/nobody/subscribe").status_code == 404


def test_records_filter_by_kind_user_and_id(mock_app, mock_client, token, state):
    state.add_user("oSecondFollowerXXXXXXXXXXXXX")
    api_post(mock_client, CUSTOM_SEND, token, text_to(FOLLOWER, "一"))
    api_post(mock_client, CUSTOM_SEND, token, text_to("oSecondFollowerXXXXXXXXXXXXX", "二"))
    api_post(mock_client, CUSTOM_SEND, token, text_to(FOLLOWER, "三"))
    everything = mock_client.get("/_mock/records").get_json()
    assert [r["kind"] for r in everything["records"]] == ["token", "custom", "custom", "custom"]
    assert everything["last_id"] == everything["records"][-1]["id"]
    mine = mock_client.get("/_mock/records", query_string={"openid": FOLLOWER}).get_json()["records"]
    assert [r["payload"]["text"]["content"] for r in mine] == ["一", "三"]
    since = everything["records"][2]["id"]
    newer = mock_client.get("/_mock/records", query_string={"since_id": since, "kind": "custom"}).get_json()
    assert [r["payload"]["text"]["content"] for r in newer["records"]] == ["三"]
    assert all(r["at"].endswith("+00:00") for r in everything["records"])
    nothing_new = mock_client.get("/_mock/records", query_string={"since_id": newer["last_id"]}).get_json()
    assert nothing_new == {"records": [], "last_id": newer["last_id"]}


@pytest.mark.parametrize("query,reason", [({"kind": "fax"}, "kind"), ({"since_id": "-1"}, "since_id"),
                                          ({"since_id": "x"}, "since_id")])
def test_bad_record_queries_are_400(mock_client, query, reason):
    response = mock_client.get("/_mock/records", query_string=query)
    assert response.status_code == 400 and reason in response.get_json()["error"]


def test_stats_count_what_happened(mock_client, token):
    api_post(mock_client, CUSTOM_SEND, token, text_to(FOLLOWER))
    stats = mock_client.get("/_mock/stats").get_json()
    assert stats["tokens_issued"] == 1 and stats["records"] == {"token": 1, "custom": 1}
    assert stats["users"] == 2 and stats["followers"] == 1 and stats["api_calls"] == 2
    assert stats["menu"] is False


def test_reset_forgets_everything(mock_client, token):
    mock_client.put("/_mock/faults", json={"latency_ms": 5})
    assert mock_client.post("/_mock/reset").get_json() == {"ok": True}
    assert mock_client.get("/_mock/users").get_json() == {"users": []}
    assert mock_client.get("/_mock/records").get_json()["records"] == []
    assert mock_client.get("/_mock/faults").get_json()["latency_ms"] == 0
    assert mock_client.get("/_mock/stats").get_json()["tokens_issued"] == 0
    answer = api_post(mock_client, CUSTOM_SEND, token, text_to(FOLLOWER))
    assert_errcode(answer, 40001)
    assert fetch_token(mock_client)
