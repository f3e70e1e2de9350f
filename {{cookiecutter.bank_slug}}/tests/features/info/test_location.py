"""LOCATION events and location messages: kept per openid, the event answered "success", the message with a
short text; coordinates that are no place on Earth are not kept and never break the reply."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.info.location import last_location
from {{ cookiecutter.bank_slug }}.features.info.models import UserLocation
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, message_xml

from ...helpers import next_msg_id, push

OPENID = "oLocation0000000000000000001"


@pytest.fixture
def app(make_app):
    return make_app(WECHAT_ENCRYPT_MODE="safe")


def _event(lat, lng, precision="65.0", openid=OPENID) -> str:
    return message_xml("gh_sandbox", openid, "event", {"Event": "LOCATION", "Latitude": str(lat),
                                                       "Longitude": str(lng), "Precision": precision})


def _message(x, y, label="青山县人民路 1 号", openid=OPENID) -> str:
    return message_xml("gh_sandbox", openid, "location", {"Location_X": str(x), "Location_Y": str(y), "Scale": "15",
                                                          "Label": label, "MsgId": str(next_msg_id())})


def _location(app, openid=OPENID):
    with app.app_context():
        found = last_location(openid)
        db.session.expunge_all()
        return found


def test_a_location_event_is_kept_and_answered_success(app):
    response, reply = push(app.test_client(), WeChatPusher.from_config(app.config), _event(28.2282, 112.9388))
    assert response.status_code == 200 and response.get_data(as_text=True) == "success" and reply == ""
    found = _location(app)
    assert (found.latitude, found.longitude, found.precision_m, found.source) == (28.2282, 112.9388, 65.0, "event")


def test_a_location_message_is_kept_and_gets_a_short_reply(app):
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)
    push(client, pusher, _event(1, 1))
    response, reply = push(client, pusher, _message(28.19, 112.97))
    assert response.status_code == 200 and "已收到您发送的位置「青山县人民路 1 号」" in reply and "网点" in reply
    found = _location(app)  # the newest wins
    assert (found.latitude, found.longitude, found.scale, found.label, found.source) == (
        28.19, 112.97, 15, "青山县人民路 1 号", "message")


def test_a_label_with_a_phone_number_is_not_echoed(app):
    _, reply = push(app.test_client(), WeChatPusher.from_config(app.config), _message(28.1, 112.9, "13800138000 家"))
    assert "13800138000" not in reply


@pytest.mark.parametrize("lat, lng", [(91, 0), (0, 181), ("nan", 0), ("north", "east"), ("-inf", 10)])
def test_coordinates_off_the_globe_are_not_kept_and_the_reply_still_comes(app, lat, lng):
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)
    response, reply = push(client, pusher, _message(lat, lng))
    assert response.status_code == 200 and "已收到" in reply
    response, _ = push(client, pusher, _event(lat, lng))
    assert response.status_code == 200
    assert _location(app) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lat=st.one_of(st.floats(allow_nan=True), st.text(max_size=12)),
       lng=st.one_of(st.floats(allow_nan=True), st.text(max_size=12)))
def test_fuzzed_coordinates_never_break_the_endpoint(app, lat, lng):
    lat_text = "".join(ch for ch in str(lat) if ch.isprintable() and ch not in "<&]")
    lng_text = "".join(ch for ch in str(lng) if ch.isprintable() and ch not in "<&]")
    response, _ = push(app.test_client(), WeChatPusher.from_config(app.config), _event(lat_text, lng_text))
    assert response.status_code in (200, 400)
    with app.app_context():
        for row in db.session.query(UserLocation):
            assert -90 <= row.latitude <= 90 and -180 <= row.longitude <= 180
