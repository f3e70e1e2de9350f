"""The mock's parametric QR codes as WeChat's: qrcode/create checks action_name (40052), the scene (40053) and
expire_seconds, answers ticket/url (and expire_seconds for temporary codes); showqrcode gives a real PNG QR code
for a live ticket and 404 otherwise; the simulator's 扫码 sends subscribe+qrscene_ or SCAN to the service."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.qrcodes.models import QrCode, QrScan

from ..helpers import mock_control_client
from ..live_sandbox import live_sandbox
from .mock_calls import api_post, assert_errcode, fetch_token

CREATE = "/cgi-bin/qrcode/create"


def permanent(scene: str) -> dict:
    return {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}


def temporary(scene: str, seconds=None) -> dict:
    body = {"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
    if seconds is not None:
        body["expire_seconds"] = seconds
    return body


def test_a_permanent_code_has_a_ticket_and_url_and_the_same_scene_gives_the_same_ticket(mock_client):
    token = fetch_token(mock_client)
    first = api_post(mock_client, CREATE, token, permanent("branch:0101"))
    assert first["errcode"] == 0 and first["ticket"] and first["url"].startswith("http://weixin.qq.com/q/")
    assert "expire_seconds" not in first
    again = api_post(mock_client, CREATE, token, permanent("branch:0101"))
    assert again["ticket"] == first["ticket"]
    other = api_post(mock_client, CREATE, token, permanent("branch:0102"))
    assert other["ticket"] != first["ticket"]


def test_temporary_codes_default_to_60_seconds_and_at_most_30_days(mock_client):
    token = fetch_token(mock_client)
    assert api_post(mock_client, CREATE, token, temporary("campaign:a"))["expire_seconds"] == 60
    assert api_post(mock_client, CREATE, token, temporary("campaign:b", 604800))["expire_seconds"] == 604800
    assert api_post(mock_client, CREATE, token, temporary("campaign:c", 9_999_999))["expire_seconds"] == 2_592_000
    answer = api_post(mock_client, CREATE, token, {"action_name": "QR_SCENE", "expire_seconds": 300,
                                                   "action_info": {"scene": {"scene_id": 123}}})
    assert answer["errcode"] == 0 and answer["expire_seconds"] == 300


@pytest.mark.parametrize(("body", "errcode"), [
    ({"action_name": "QR_FOREVER", "action_info": {"scene": {"scene_str": "x"}}}, 40052),
    ({"action_info": {"scene": {"scene_str": "x"}}}, 40052),
    ({"action_name": "QR_LIMIT_STR_SCENE"}, 40053),
    (permanent(""), 40053),
    (permanent("x" * 65), 40053),
    ({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": 5}}}, 40053),
    ({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}}, 40053),
    ({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 0}}}, 40053),
    ({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 2**31}}}, 40053),
    (temporary("x", "30"), 47001),
    (temporary("x", 0), 47001),
])
def test_bad_requests_get_wechat_errcodes(mock_client, state, body, errcode):
    answer = api_post(mock_client, CREATE, fetch_token(mock_client), body)
    assert_errcode(answer, errcode)
    assert state.qrcodes == {}


def test_a_bad_token_is_40001_and_get_is_43002(mock_client):
    fetch_token(mock_client)
    assert_errcode(api_post(mock_client, CREATE, "not-the-token", permanent("x")), 40001)
    assert_errcode(mock_client.post(CREATE, data=b"{}").get_json(), 41001)
    assert_errcode(mock_client.get(CREATE, query_string={"access_token": "t"}).get_json(), 43002)


def test_showqrcode_gives_a_png_of_the_url_for_a_live_ticket_only(mock_client, clock):
    token = fetch_token(mock_client)
    answer = api_post(mock_client, CREATE, token, temporary("campaign:short", 120))
    response = mock_client.get("/cgi-bin/showqrcode", query_string={"ticket": answer["ticket"]})
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size[0] == image.size[1] > 100
    assert mock_client.get("/cgi-bin/showqrcode", query_string={"ticket": "nope"}).status_code == 404
    assert mock_client.get("/cgi-bin/showqrcode").status_code == 404
    clock.advance(121)
    assert mock_client.get("/cgi-bin/showqrcode", query_string={"ticket": answer["ticket"]}).status_code == 404


VISITOR = "oSimQrVisitor00000000000001"


def test_the_simulator_scans_a_code_the_service_created(make_app):
    from {{ cookiecutter.bank_slug }}.features.qrcodes import service

    app = make_app()
    with live_sandbox(app) as live:
        live.state.add_user(VISITOR, "访客", subscribed=False)
        with app.test_request_context():
            from {{ cookiecutter.bank_slug }}.core_banking.models import Branch

            branch = Branch(code="6601", name="北街支行", address="", phone="")
            db.session.add(branch)
            db.session.commit()
            code = service.create_code("branch", name="北街大堂", created_by="hq", branch=branch)
            db.session.commit()
            code_id, ticket = code.id, code.ticket
        simulator = mock_control_client(live.mock)
        listed = simulator.get("/simulator/api/qrcodes").get_json()["qrcodes"]
        assert [(c["scene"], c["ticket"]) for c in listed] == [("branch:6601", ticket)]

        first = simulator.post("/simulator/api/send", json={"openid": VISITOR, "type": "scan", "ticket": ticket})
        data = first.get_json()
        assert first.status_code == 200 and "欢迎关注" in data["reply"]["content"]
        assert data["user"]["subscribed"] is True
        second = simulator.post("/simulator/api/send", json={"openid": VISITOR, "type": "scan", "ticket": ticket})
        assert "北街支行" in second.get_json()["reply"]["content"]
        gone = simulator.post("/simulator/api/send", json={"openid": VISITOR, "type": "scan", "ticket": "nope"})
        assert gone.status_code == 400 and "二维码" in gone.get_json()["reason"]
        with app.app_context():
            rows = [(s.event, s.scene, s.code_id, s.first_touch)
                    for s in db.session.scalars(select(QrScan).order_by(QrScan.id))]
            assert db.session.get(QrCode, code_id).scene == "branch:6601"
        assert rows == [("subscribe", "branch:6601", code_id, True), ("scan", "branch:6601", code_id, False)]
