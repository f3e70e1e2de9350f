"""群发 by filter (POST /cgi-bin/message/mass/sendall): to every follower or to the followers with a user tag,
as WeChat validates it; user tags of simulated users (POST /_mock/users with "tags", user/info tagid_list)."""

import pytest

from .mock_calls import FOLLOWER, NOT_FOLLOWING, api_get, api_post, assert_errcode

SENDALL = "/cgi-bin/message/mass/sendall"
TAGGED = "oTaggedFollowerXXXXXXXXXXXXX"


def text(content="理财产品上新", **extra) -> dict:
    return {"msgtype": "text", "text": {"content": content}, **extra}


def records(client):
    return client.get("/_mock/records", query_string={"kind": "mass_send"}).get_json()["records"]


@pytest.fixture
def tagged(mock_client):
    response = mock_client.post("/_mock/users", json={"openid": TAGGED, "nickname": "标签用户", "tags": [7, 9]})
    assert response.status_code == 201 and response.get_json()["user"]["tags"] == [7, 9]
    return TAGGED


def test_to_all_reaches_every_follower(mock_client, token, tagged):
    answer = api_post(mock_client, SENDALL, token, text(filter={"is_to_all": True}, clientmsgid="push-1"))
    assert answer["errcode"] == 0 and answer["errmsg"] == "send job submission success" and answer["msg_id"]
    [record] = records(mock_client)
    assert record["delivered_to"] == sorted([FOLLOWER, TAGGED]) and NOT_FOLLOWING not in record["delivered_to"]
    assert record["payload"]["filter"] == {"is_to_all": True}
    assert_errcode(api_post(mock_client, SENDALL, token, text(filter={"is_to_all": True}, clientmsgid="push-1")),
                   45065)


def test_a_tag_reaches_only_its_followers(mock_client, token, tagged):
    api_post(mock_client, SENDALL, token, text(filter={"is_to_all": False, "tag_id": 9}))
    api_post(mock_client, SENDALL, token, text(filter={"is_to_all": False, "tag_id": 3}))
    assert [r["delivered_to"] for r in records(mock_client)] == [[TAGGED], []]
    info = api_get(mock_client, "/cgi-bin/user/info", token, openid=TAGGED)
    assert info["tagid_list"] == [7, 9]


@pytest.mark.parametrize("body,errcode", [
    (text(), 47001),
    (text(filter="all"), 47001),
    (text(filter={"is_to_all": "yes"}), 47001),
    (text(filter={"is_to_all": False}), 47001),
    (text(filter={"is_to_all": False, "tag_id": "7"}), 47001),
    ({"filter": {"is_to_all": True}, "msgtype": "link"}, 40008),
    (text("", filter={"is_to_all": True}), 44004),
    (text("字" * 700, filter={"is_to_all": True}), 45002),
])
def test_bad_sendall_requests_are_refused(mock_client, token, body, errcode):
    assert_errcode(api_post(mock_client, SENDALL, token, body), errcode)
    assert records(mock_client) == []


@pytest.mark.parametrize("tags", [[0], ["7"], 7, [True], [2**31]])
def test_bad_tags_are_refused(mock_client, tags):
    response = mock_client.post("/_mock/users", json={"nickname": "x", "tags": tags})
    assert response.status_code == 400 and "tags" in response.get_json()["error"]
