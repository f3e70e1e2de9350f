"""The mock reports each 群发 as WeChat does: MASSSENDJOBFINISH pushed to the service (signed like every
push) with MsgID, Status and the counts, on demand (/_mock/mass_jobs/<msg_id>/finish) or after every send
once auto_finish is on; the 4-a-month filter shows in TotalCount vs FilterCount."""

import pytest
from defusedxml.ElementTree import fromstring

from {{ cookiecutter.bank_slug }}.sandbox.mock_api import mass_jobs
from {{ cookiecutter.bank_slug }}.sandbox.simulator.relay import Relayed

from .mock_calls import FOLLOWER, api_post

SENDALL = "/cgi-bin/message/mass/sendall"
SECOND = "oSecondFollowerXXXXXXXXXXXXX"


def sendall(client, token, content="理财产品上新") -> int:
    body = {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": content}}
    answer = api_post(client, SENDALL, token, body)
    assert answer["errcode"] == 0, answer
    return answer["msg_id"]


@pytest.fixture
def pushed(monkeypatch):
    """What the mock pushed to the service (the relay replaced by a recorder that answers "success")."""
    sent = []

    def fake_relay(service_url, pusher, xml):
        sent.append(fromstring(xml))
        return Relayed(200, None)

    monkeypatch.setattr(mass_jobs, "relay", fake_relay)
    return sent


@pytest.mark.parametrize("status,sent,errors", [("send success", 1, 0), ("send fail", 0, 1), ("err(10001)", 0, 0)])
def test_finish_pushes_the_event_with_wechats_fields(mock_client, token, pushed, status, sent, errors):
    msg_id = sendall(mock_client, token)
    answer = mock_client.post(f"/_mock/mass_jobs/{msg_id}/finish", json={"status": status})
    assert answer.status_code == 200 and answer.get_json()["service_status"] == 200
    [event] = pushed
    assert event.findtext("MsgType") == "event" and event.findtext("Event") == "MASSSENDJOBFINISH"
    assert event.findtext("MsgID") == str(msg_id) and event.findtext("Status") == status
    assert (event.findtext("TotalCount"), event.findtext("FilterCount")) == ("1", "1")
    assert (event.findtext("SentCount"), event.findtext("ErrorCount")) == (str(sent), str(errors))
    assert event.findtext("FromUserName") == FOLLOWER
    assert mock_client.get("/_mock/mass_jobs").get_json()["pushes"][0]["msg_id"] == msg_id


def test_followers_at_four_this_month_count_in_total_but_not_after_the_filter(mock_client, token, pushed, state):
    state.add_user(SECOND, "", subscribed=True)
    for n in range(4):  # FOLLOWER receives 4
        api_post(mock_client, "/cgi-bin/message/mass/send", token,
                 {"touser": [FOLLOWER, "oUnfollowedUserXXXXXXXXXXXXX"], "msgtype": "text", "text": {"content": f"{n}"}})
    msg_id = sendall(mock_client, token)
    mock_client.post(f"/_mock/mass_jobs/{msg_id}/finish", json={})
    event = pushed[-1]
    assert (event.findtext("Status"), event.findtext("TotalCount"), event.findtext("FilterCount"),
            event.findtext("SentCount")) == ("send success", "2", "1", "1")


def test_bad_finish_requests_are_explained(mock_client, token, pushed):
    msg_id = sendall(mock_client, token)
    assert mock_client.post(f"/_mock/mass_jobs/{msg_id}/finish", json={"status": "done"}).status_code == 400
    assert mock_client.post("/_mock/mass_jobs/12345/finish", json={}).status_code == 404
    for body in ({"auto_finish": "yes"}, {"auto": None}, ["x"]):
        assert mock_client.put("/_mock/mass_jobs", json=body).status_code == 400
    assert pushed == []


def test_auto_finish_pushes_after_every_send(mock_client, token, pushed, monkeypatch):
    monkeypatch.setattr(mass_jobs, "AUTO_DELAY_SECONDS", 0)
    threads = []
    monkeypatch.setattr(mass_jobs.threading, "Thread", lambda target, args, **kw: threads.append((target, args))
                        or type("T", (), {"start": lambda self: None})())
    assert mock_client.put("/_mock/mass_jobs", json={"auto_finish": "send success"}).get_json() == {
        "auto_finish": "send success"}
    msg_id = sendall(mock_client, token)
    [(target, args)] = threads
    target(*args)  # what the background thread does
    assert pushed[0].findtext("MsgID") == str(msg_id)
    mock_client.put("/_mock/mass_jobs", json={"auto_finish": None})
    sendall(mock_client, token, "第二条")
    assert len(threads) == 1
