"""The `gateway` SMS adapter against the reference server of the signed contract (sms_gateway.openapi.yaml),
over real HTTP on loopback; the document's test vectors; replay and signature refusals."""

import json
import re
import time

import pytest
import requests
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from {{ cookiecutter.bank_slug }}.sms import OTP_TEMPLATE, SmsError, SmsText, get_sms_sender
from {{ cookiecutter.bank_slug }}.sms.gateway.client import GatewaySmsSender
from {{ cookiecutter.bank_slug }}.sms.gateway.server import create_sms_server
from {{ cookiecutter.bank_slug }}.sms.gateway.wire import (
    NONCE_HEADER,
    SPEC_PATH,
    NonceCache,
    sign,
    signature_problem,
    signed_headers,
)

from ..core_banking.contract.loopback import serving
from ..helpers import free_port

SECRET = "a-test-gateway-secret-0123456789"


@pytest.fixture
def server():
    app = create_sms_server(SECRET, blocked_phones={"13900000000"})
    with serving(app) as base_url:
        yield app, base_url


def _messages(app, phone=None):
    return app.extensions["sms_gateway"].store.messages(phone)


def test_a_message_reaches_the_platform_with_its_template_and_params(server):
    app, base_url = server
    sender = GatewaySmsSender(base_url, SECRET)
    sender.send("13800138001", SmsText("【青山农商银行】验证码 123456", OTP_TEMPLATE, ("5678", "123456", 5)))
    [message] = _messages(app, "13800138001")
    assert message["text"] == "【青山农商银行】验证码 123456"
    assert (message["template"], message["params"]) == ("otp", ["5678", "123456", "5"])
    assert sender.health() is None


def test_plain_text_travels_without_a_template(server):
    app, base_url = server
    GatewaySmsSender(base_url, SECRET).send("13800138002", "【青山农商银行】您好")
    [message] = _messages(app, "13800138002")
    assert message["template"] is None and message["params"] == []


def test_a_wrong_secret_is_refused_and_says_nothing_of_the_text(server, caplog):
    _, base_url = server
    sender = GatewaySmsSender(base_url, "another-secret-0123456789")
    with pytest.raises(SmsError) as refused:
        sender.send("13800138003", "【青山农商银行】验证码 654321")
    assert "401" in str(refused.value) and "654321" not in str(refused.value)
    assert "654321" not in caplog.text and "13800138003" not in caplog.text
    assert sender.health().startswith("HTTP 401")


def test_a_blocked_number_is_an_sms_error(server):
    _, base_url = server
    with pytest.raises(SmsError, match="422 rejected"):
        GatewaySmsSender(base_url, SECRET).send("13900000000", "【青山农商银行】x")


def test_an_unreachable_platform_is_an_sms_error():
    sender = GatewaySmsSender(f"http://127.0.0.1:{free_port()}", SECRET, timeout=1)
    with pytest.raises(SmsError, match="unreachable"):
        sender.send("13800138004", "【青山农商银行】x")
    assert sender.health().startswith("unreachable")


def test_a_replayed_request_is_refused_and_a_repeated_client_ref_sends_once(server):
    app, base_url = server
    body = json.dumps({"phone": "13800138005", "text": "【青山农商银行】x", "client_ref": "ref-1"}).encode()
    headers = {**signed_headers(SECRET, "POST", "/messages", body, app.extensions["sms_gateway"].clock()),
               "Content-Type": "application/json"}
    first = requests.post(base_url + "/messages", data=body, headers=headers, timeout=5)
    replay = requests.post(base_url + "/messages", data=body, headers=headers, timeout=5)
    assert first.status_code == 202
    assert replay.status_code == 401 and "already used" in replay.json()["message"]
    fresh = signed_headers(SECRET, "POST", "/messages", body, app.extensions["sms_gateway"].clock())
    again = requests.post(base_url + "/messages", data=body, headers={**fresh, "Content-Type": "application/json"},
                          timeout=5)
    assert again.status_code == 200 and again.json()["message_id"] == first.json()["message_id"]
    assert len(_messages(app, "13800138005")) == 1


@pytest.mark.parametrize("body, reason", [
    (b"not json", "JSON object"),
    (json.dumps({"phone": "12345", "text": "x", "client_ref": "r"}).encode(), "phone"),
    (json.dumps({"phone": "13800138000", "text": "", "client_ref": "r"}).encode(), "text"),
    (json.dumps({"phone": "13800138000", "text": "x", "client_ref": "a b"}).encode(), "client_ref"),
    (json.dumps({"phone": "13800138000", "text": "x", "client_ref": "r", "params": [1]}).encode(), "params"),
])
def test_bodies_outside_the_contract_get_400_with_the_reason(server, body, reason):
    app, base_url = server
    headers = signed_headers(SECRET, "POST", "/messages", body, app.extensions["sms_gateway"].clock())
    response = requests.post(base_url + "/messages", data=body, headers=headers, timeout=5)
    assert response.status_code == 400 and response.json()["code"] == "invalid_request"
    assert reason in response.json()["message"]


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=300))
def test_no_body_gets_a_5xx(body):
    client = create_sms_server(SECRET).test_client()
    headers = signed_headers(SECRET, "POST", "/messages", body, time.time())
    response = client.post("/messages", data=body, headers=headers)
    assert response.status_code in (200, 202, 400, 413)


def _spec():
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_the_documents_test_vectors_are_right():
    description = _spec()["info"]["description"]
    rows = re.findall(r"\| `(GET|POST) (/\S+)`.*?\| `([0-9a-f]{64})` \|", description)
    assert len(rows) == 2
    bodies = {"/health": b"", "/messages": '{"phone":"13800138000","text":"【青山农商银行】验证码 123456",'
              '"client_ref":"c0ffee01"}'.encode()}
    for method, path, digest in rows:
        assert sign("s3cret-s3cret-s3cret", "1714552200", "8f14e45fceea167a5a36dedd4bea2543", method, path,
                    bodies[path]) == digest
    assert '{"phone":"13800138000","text":"【青山农商银行】验证码 123456","client_ref":"c0ffee01"}' in description


def test_the_document_is_valid_and_its_examples_match_their_schemas():
    spec = _spec()
    assert spec["openapi"].startswith("3.1")
    components = spec["components"]
    message = {**components["schemas"]["Message"], "components": components}
    example = spec["paths"]["/messages"]["post"]["requestBody"]["content"]["application/json"]["examples"]["otp"]
    assert not list(Draft202012Validator(message).iter_errors(example["value"]))
    server_paths = {rule.rule for rule in create_sms_server(SECRET).url_map.iter_rules()} - {"/static/<path:filename>"}
    assert server_paths == set(spec["paths"])


def test_the_document_in_docs_is_the_packaged_one():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[3] / "docs" / "sms-gateway-openapi.yaml"
    if docs.exists():  # only when the suite runs inside the template repository
        assert docs.read_text(encoding="utf-8") == SPEC_PATH.read_text(encoding="utf-8")


def test_nonce_and_timestamp_rules():
    nonces = NonceCache(300, clock=lambda: 1000.0)
    headers = signed_headers(SECRET, "GET", "/health", b"", 1000.0)
    assert signature_problem(SECRET, headers, "GET", "/health", b"", 1000.0, nonces) is None
    assert "already used" in signature_problem(SECRET, headers, "GET", "/health", b"", 1000.0, nonces)
    assert "away" in signature_problem(SECRET, signed_headers(SECRET, "GET", "/health", b"", 1000.0), "GET",
                                       "/health", b"", 1400.0, nonces)
    short = {**signed_headers(SECRET, "GET", "/health", b"", 1000.0), NONCE_HEADER: "short"}
    assert "16-64" in signature_problem(SECRET, short, "GET", "/health", b"", 1000.0, nonces)


def test_the_app_sends_through_the_configured_gateway(make_app, server):
    gateway, base_url = server
    app = make_app(SMS_SENDER="gateway", SMS_GATEWAY_URL=base_url, SMS_GATEWAY_SECRET=SECRET, WECHAT_SANDBOX="0")
    with app.app_context():
        sender = get_sms_sender()
        assert isinstance(sender, GatewaySmsSender) and SECRET not in repr(sender)
        sender.send("13800138009", "【青山农商银行】x")
    assert len(_messages(gateway, "13800138009")) == 1


def test_the_app_builds_the_tencentcloud_sender(make_app):
    from {{ cookiecutter.bank_slug }}.sms.tencentcloud import TencentCloudSmsSender

    app = make_app(SMS_SENDER="tencentcloud", TENCENTCLOUD_SECRET_ID="AKIDx", TENCENTCLOUD_SECRET_KEY="k" * 20,
                   TENCENTCLOUD_SMS_SDK_APP_ID="1400000001", TENCENTCLOUD_SMS_SIGN_NAME="青山农商银行",
                   TENCENTCLOUD_SMS_TEMPLATES="otp=100001,alert=100002")
    with app.app_context():
        sender = get_sms_sender()
    assert isinstance(sender, TencentCloudSmsSender) and sender.templates == {"otp": "100001", "alert": "100002"}
    assert sender.host == "sms.tencentcloudapi.com" and "k" * 20 not in repr(sender)
