"""The `tencentcloud` SMS adapter: signature v3 (TC3-HMAC-SHA256) pinned to Tencent Cloud's published
example (the CVM DescribeInstances request of the "Signature v3" page), and SendSms against a local
endpoint that checks every request the way Tencent Cloud documents it, with its own code."""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from flask import Flask, jsonify, request

from {{ cookiecutter.bank_slug }}.settings import ConfigError
from {{ cookiecutter.bank_slug }}.settings.sections import Sms
from {{ cookiecutter.bank_slug }}.sms import ALERT_TEMPLATE, OTP_TEMPLATE, SmsError, SmsText
from {{ cookiecutter.bank_slug }}.sms.tencentcloud import (
    TencentCloudSmsSender,
    authorization,
    canonical_request,
    tc3_signature,
)

from ..core_banking.contract.loopback import serving

# Tencent Cloud's published example (their docs mask the real key with *******; the vector uses the masked one).
DOC_SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******"
DOC_SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3*******"
DOC_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'


def test_the_published_example_vector():
    canonical = canonical_request("POST", "cvm.tencentcloudapi.com", DOC_PAYLOAD)
    assert canonical == ("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
                         "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    assert tc3_signature(DOC_SECRET_KEY, 1551113065, "cvm", canonical) == (
        "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")
    assert authorization(DOC_SECRET_ID, DOC_SECRET_KEY, 1551113065, "cvm", canonical) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")


SECRET_ID, SECRET_KEY = "AKIDtestid0123456789", "testkey0123456789abcdef"


def _expected_signature(headers, body: bytes) -> str:
    """Tencent Cloud's steps, written out again: canonical request, string to sign, derived key."""
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    canonical_headers = "".join(f"{name}:{headers[name].strip() if name == 'content-type' else headers[name].lower()}\n"
                                for name in signed.split(";"))
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    timestamp = int(headers["X-TC-Timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("TC3" + SECRET_KEY).encode()
    for part in (date, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def fake_tencent_sms() -> Flask:
    app = Flask(__name__)
    app.config["received"] = []

    @app.post("/")
    def send_sms():
        body = request.get_data()
        headers = request.headers  # case-insensitive
        auth = request.headers.get("Authorization", "")
        fail = None
        if request.headers.get("X-TC-Action") != "SendSms" or request.headers.get("X-TC-Version") != "2021-01-11":
            fail = ("InvalidAction", "action or version")
        elif not auth.startswith(f"TC3-HMAC-SHA256 Credential={SECRET_ID}/"):
            fail = ("AuthFailure.SecretIdNotFound", "secret id")
        elif abs(time.time() - int(request.headers.get("X-TC-Timestamp", "0"))) > 300:
            fail = ("AuthFailure.SignatureExpire", "expired")
        elif auth.rsplit("Signature=", 1)[1] != _expected_signature(headers, body):
            fail = ("AuthFailure.SignatureFailure", "signature")
        if fail:
            return jsonify(Response={"Error": {"Code": fail[0], "Message": fail[1]}, "RequestId": "r-1"})
        data = json.loads(body)
        app.config["received"].append(data)
        code = "LimitExceeded.PhoneNumberDailyLimit" if data["PhoneNumberSet"] == ["+8613900000000"] else "Ok"
        return jsonify(Response={"SendStatusSet": [{"SerialNo": "2028:1", "PhoneNumber": data["PhoneNumberSet"][0],
                                                    "Fee": 1, "Code": code, "Message": "send success",
                                                    "IsoCode": "CN"}], "RequestId": "r-2"})

    return app


@pytest.fixture
def fake():
    app = fake_tencent_sms()
    with serving(app) as base_url:
        yield app, base_url


def _sender(base_url, secret_key=SECRET_KEY):
    return TencentCloudSmsSender(secret_id=SECRET_ID, secret_key=secret_key, sdk_app_id="1400000001",
                                 sign_name="青山农商银行", templates={"otp": "100001", "alert": "100002"},
                                 endpoint=base_url)


def test_send_sms_is_signed_as_tencent_cloud_checks_it(fake):
    app, base_url = fake
    _sender(base_url).send("13800138001", SmsText("【青山农商银行】验证码 123456", OTP_TEMPLATE, ("5678", "123456", 5)))
    [sent] = app.config["received"]
    assert sent == {"PhoneNumberSet": ["+8613800138001"], "SmsSdkAppId": "1400000001", "SignName": "青山农商银行",
                    "TemplateId": "100001", "TemplateParamSet": ["5678", "123456", "5"]}


def test_a_wrong_key_is_an_sms_error_naming_the_code(fake):
    _, base_url = fake
    with pytest.raises(SmsError, match="AuthFailure.SignatureFailure"):
        _sender(base_url, "wrong-key").send("13800138001", SmsText("x", ALERT_TEMPLATE, ("1",)))


def test_a_refused_number_and_a_message_without_template_are_sms_errors(fake):
    _, base_url = fake
    with pytest.raises(SmsError, match="LimitExceeded"):
        _sender(base_url).send("13900000000", SmsText("x", OTP_TEMPLATE, ("1", "2", "3")))
    with pytest.raises(SmsError, match="TENCENTCLOUD_SMS_TEMPLATES"):
        _sender(base_url).send("13800138001", "free text")


def test_tencentcloud_settings_say_what_is_missing():
    with pytest.raises(ConfigError, match="TENCENTCLOUD_SECRET_KEY.*alert=<template id>"):
        Sms.from_config({"SMS_SENDER": "tencentcloud", "TENCENTCLOUD_SECRET_ID": "x",
                         "TENCENTCLOUD_SMS_SDK_APP_ID": "1", "TENCENTCLOUD_SMS_SIGN_NAME": "s",
                         "TENCENTCLOUD_SMS_TEMPLATES": "otp=1"})
    with pytest.raises(ConfigError, match="kind=template id"):
        Sms.from_config({"SMS_SENDER": "tencentcloud", "TENCENTCLOUD_SMS_TEMPLATES": "otp"})
    with pytest.raises(ConfigError, match="SMS_GATEWAY_SECRET"):
        Sms.from_config({"SMS_SENDER": "gateway", "SMS_GATEWAY_URL": "https://sms.bank/v1"})
