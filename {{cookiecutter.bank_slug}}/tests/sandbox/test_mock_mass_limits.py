"""WeChat's mass-message limits as the mock enforces them: a 服务号's follower receives at most 4 mass
messages a calendar month (Beijing time), further sends filter them out (the job's FilterCount drops); a
clientmsgid may not repeat within 24 hours (45065)."""

from datetime import UTC, datetime

from .mock_calls import FOLLOWER, api_post, assert_errcode, fetch_token

MASS_SEND = "/cgi-bin/message/mass/send"
SENDALL = "/cgi-bin/message/mass/sendall"
SECOND = "oSecondFollowerXXXXXXXXXXXXX"


def _mass(client, _token, number, path=MASS_SEND):
    """A mass send with a token fetched now (the tests move the clock by hours and days)."""
    token = fetch_token(client)
    body = {"msgtype": "text", "text": {"content": f"第 {number} 条通知"}, "clientmsgid": f"mass-{number}"}
    if path == MASS_SEND:
        body["touser"] = [FOLLOWER, SECOND]
    else:
        body["filter"] = {"is_to_all": True}
    return api_post(client, path, token, body)


def _last(client):
    return client.get("/_mock/records", query_string={"kind": "mass_send"}).get_json()["records"][-1]


def test_the_fifth_mass_message_of_the_month_is_filtered(mock_client, token, state, clock):
    clock.now = datetime(2026, 3, 10, 4, tzinfo=UTC).timestamp()  # 12:00 in Beijing
    state.add_user(SECOND, "小李")
    state.mass_received[(SECOND, state.mass_month())] = 1  # SECOND already had one this month
    for number in range(1, 4):
        assert _mass(mock_client, token, number)["errcode"] == 0
    record = _last(mock_client)
    assert record["delivered_to"] == sorted([FOLLOWER, SECOND]) and record["filter_count"] == 2
    assert _mass(mock_client, token, 4, SENDALL)["errcode"] == 0  # FOLLOWER's 4th, SECOND's 5th
    record = _last(mock_client)
    assert record["delivered_to"] == [FOLLOWER] and record["filtered_out"] == [SECOND]
    assert (record["total_count"], record["filter_count"]) == (2, 1)
    answer = _mass(mock_client, token, 5)
    assert answer["errcode"] == 0  # WeChat accepts the job; nobody receives it
    record = _last(mock_client)
    assert record["delivered_to"] == [] and (record["total_count"], record["filter_count"]) == (2, 0)
    assert state.mass_count(FOLLOWER) == 4


def test_the_count_starts_again_on_the_first_of_the_month_in_beijing(mock_client, token, state, clock):
    clock.now = datetime(2026, 3, 31, 15, 59, tzinfo=UTC).timestamp()  # 23:59 on 31 March in Beijing
    state.add_user(SECOND, "小李")
    for number in range(1, 5):
        _mass(mock_client, token, number)
    _mass(mock_client, token, 5)
    assert _last(mock_client)["delivered_to"] == []
    clock.now += 120  # 00:01 on 1 April in Beijing (still 31 March in UTC)
    _mass(mock_client, token, 6)
    assert _last(mock_client)["delivered_to"] == sorted([FOLLOWER, SECOND])


def test_a_clientmsgid_is_refused_within_24_hours_and_accepted_after(mock_client, token, state, clock):
    state.add_user(SECOND, "小李")
    assert _mass(mock_client, token, 1)["errcode"] == 0
    clock.now += 23 * 3600
    assert_errcode(_mass(mock_client, token, 1), 45065)
    clock.now += 3600 + 1
    assert _mass(mock_client, token, 1)["errcode"] == 0
