"""The mock's user tags as WeChat's: tags/create (30-character unique names, 100 tags), batchtagging and
batchuntagging (1-50 openids, known tag, known openids, 20 tags a user, all or nothing), user/tag/get (the
tag's followers, 10,000 a page), system tags 0-2 untouchable; a sendall by tag_id reaches the tagged."""

import pytest

from .mock_calls import api_post, assert_errcode

CREATE, TAG, UNTAG, MEMBERS = ("/cgi-bin/tags/create", "/cgi-bin/tags/members/batchtagging",
                               "/cgi-bin/tags/members/batchuntagging", "/cgi-bin/user/tag/get")


def new_tag(client, token, name="东街客户") -> int:
    answer = api_post(client, CREATE, token, {"tag": {"name": name}})
    return answer["tag"]["id"]


def test_a_tag_is_created_tagged_listed_and_untagged(mock_client, state, token):
    for openid in ("oTagA000000000000000000000001", "oTagB000000000000000000000002"):
        state.add_user(openid)
    state.add_user("oTagGone00000000000000000003", subscribed=False)
    tag_id = new_tag(mock_client, token)
    users = ["oTagA000000000000000000000001", "oTagB000000000000000000000002", "oTagGone00000000000000000003"]
    assert api_post(mock_client, TAG, token, {"openid_list": users, "tagid": tag_id})["errcode"] == 0
    listed = api_post(mock_client, MEMBERS, token, {"tagid": tag_id, "next_openid": ""})
    assert listed["data"]["openid"] == users[:2] and listed["count"] == 2  # followers only
    assert api_post(mock_client, UNTAG, token, {"openid_list": users[:1], "tagid": tag_id})["errcode"] == 0
    assert api_post(mock_client, MEMBERS, token, {"tagid": tag_id})["data"]["openid"] == users[1:2]
    sent = api_post(mock_client, "/cgi-bin/message/mass/sendall", token,
                    {"filter": {"is_to_all": False, "tag_id": tag_id}, "msgtype": "text", "text": {"content": "hi"}})
    assert sent["errcode"] == 0
    assert state.records_since(0, "mass_send")[-1].extra["delivered_to"] == users[1:2]


def test_tag_rules(mock_client, state, token):
    state.add_user("oTagA000000000000000000000001")
    tag_id = new_tag(mock_client, token)
    assert_errcode(api_post(mock_client, CREATE, token, {"tag": {"name": "东街客户"}}), 45157)  # taken
    assert_errcode(api_post(mock_client, CREATE, token, {"tag": {"name": "长" * 31}}), 45158)
    assert_errcode(api_post(mock_client, TAG, token, {"openid_list": [], "tagid": tag_id}), 40032)
    assert_errcode(api_post(mock_client, TAG, token, {"openid_list": ["oTagA000000000000000000000001"] * 51,
                                                      "tagid": tag_id}), 40032)
    assert_errcode(api_post(mock_client, TAG, token, {"openid_list": ["oTagA000000000000000000000001"],
                                                      "tagid": 999_999}), 45159)
    assert_errcode(api_post(mock_client, TAG, token, {"openid_list": ["oTagA000000000000000000000001"],
                                                      "tagid": 2}), 45058)
    assert_errcode(api_post(mock_client, TAG, token, {"openid_list": ["oTagA000000000000000000000001",
                                                                      "oUnknown00000000000000000009"],
                                                      "tagid": tag_id}), 40003)
    assert state.user("oTagA000000000000000000000001").tags == []  # all or nothing


def test_at_most_100_tags_and_20_a_user(mock_client, state, token):
    state.add_user("oTagA000000000000000000000001", tags=list(range(500, 520)))
    ids = [new_tag(mock_client, token, f"t{n}") for n in range(100)]
    assert_errcode(api_post(mock_client, CREATE, token, {"tag": {"name": "one more"}}), 45056)
    assert_errcode(api_post(mock_client, TAG, token, {"openid_list": ["oTagA000000000000000000000001"],
                                                      "tagid": ids[0]}), 45059)


@pytest.mark.parametrize("body", [{"tagid": 999_999}, {"tagid": "x"}])
def test_members_of_an_unknown_tag_is_45159(mock_client, token, body):
    assert_errcode(api_post(mock_client, MEMBERS, token, body), 45159)
