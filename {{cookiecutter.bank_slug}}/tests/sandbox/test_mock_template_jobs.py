"""The mock's template sends as WeChat dedups them (client_msg_id, 10 minutes) and reports them
(TEMPLATESENDJOBFINISH pushed to the service, signed like every push)."""

import pytest
from defusedxml.ElementTree import fromstring

from {{ cookiecutter.bank_slug }}.sandbox.mock_api import template_jobs, template_views
from {{ cookiecutter.bank_slug }}.sandbox.simulator.relay import Relayed

from .mock_calls import FOLLOWER, api_post, assert_errcode, fetch_token
from .test_mock_messages import TEMPLATE_SEND, alert, records


def test_the_same_client_msg_id_within_10_minutes_gets_the_same_msgid_and_sends_nothing(mock_client, token,
                                                                                         clock):
    first = api_post(mock_client, TEMPLATE_SEND, token, alert(client_msg_id="notice-7"))
    again = api_post(mock_client, TEMPLATE_SEND, token, alert(client_msg_id="notice-7"))
    assert again["errcode"] == 0 and again["msgid"] == first["msgid"]
    assert len(records(mock_client, "template")) == 1
    other = api_post(mock_client, TEMPLATE_SEND, token, alert(client_msg_id="notice-8"))
    assert other["msgid"] != first["msgid"]
    clock.advance(600)
    later = api_post(mock_client, TEMPLATE_SEND, fetch_token(mock_client), alert(client_msg_id="notice-7"))
    assert later["msgid"] != first["msgid"] and len(records(mock_client, "template")) == 3


def test_without_client_msg_id_every_send_is_a_message(mock_client, token):
    api_post(mock_client, TEMPLATE_SEND, token, alert())
    api_post(mock_client, TEMPLATE_SEND, token, alert())
    assert len(records(mock_client, "template")) == 2


@pytest.mark.parametrize("client_msg_id", ["", 42, "x" * 65])
def test_a_malformed_client_msg_id_is_47001(mock_client, token, client_msg_id):
    assert_errcode(api_post(mock_client, TEMPLATE_SEND, token, alert(client_msg_id=client_msg_id)), 47001)


@pytest.fixture
def pushed(monkeypatch):
    """What the mock pushed to the service (the relay replaced by a recorder that answers "success")."""
    sent = []

    def fake_relay(service_url, pusher, xml):
        sent.append((service_url, xml))
        return Relayed(200, None)

    monkeypatch.setattr(template_jobs, "relay", fake_relay)
    return sent


@pytest.mark.parametrize("status", ["success", "failed:user block", "failed: system failed"])
def test_finish_pushes_templatesendjobfinish_with_msgid_and_status(mock_client, token, pushed, status):
    msgid = api_post(mock_client, TEMPLATE_SEND, token, alert())["msgid"]
    answer = mock_client.post(f"/_mock/template_jobs/{msgid}/finish", json={"status": status})
    assert answer.status_code == 200 and answer.get_json()["service_status"] == 200
    ((_, xml),) = pushed
    root = fromstring(xml)
    assert root.findtext("MsgType") == "event" and root.findtext("Event") == "TEMPLATESENDJOBFINISH"
    assert root.findtext("MsgID") == str(msgid) and root.findtext("Status") == status
    assert root.findtext("FromUserName") == FOLLOWER
    assert mock_client.get("/_mock/template_jobs").get_json()["pushes"][-1]["status"] == status


def test_finish_refuses_an_unknown_msgid_and_a_status_wechat_never_sends(mock_client, token, pushed):
    assert mock_client.post("/_mock/template_jobs/12345/finish", json={}).status_code == 404
    msgid = api_post(mock_client, TEMPLATE_SEND, token, alert())["msgid"]
    assert mock_client.post(f"/_mock/template_jobs/{msgid}/finish", json={"status": "delivered"}).status_code == 400
    assert pushed == []


@pytest.mark.parametrize("body", [{}, {"auto_finish": "yes"}, {"auto_finish": None, "x": 1}])
def test_auto_finish_setting_refuses_bad_input(mock_client, body):
    assert mock_client.put("/_mock/template_jobs", json=body).status_code == 400


def test_a_repeat_by_client_msg_id_pushes_no_second_report(mock_client, token, monkeypatch):
    started = []
    monkeypatch.setattr(template_views, "after_send", lambda state, msgid: started.append(msgid))
    api_post(mock_client, TEMPLATE_SEND, token, alert(client_msg_id="notice-1"))
    api_post(mock_client, TEMPLATE_SEND, token, alert(client_msg_id="notice-1"))
    assert len(started) == 1
