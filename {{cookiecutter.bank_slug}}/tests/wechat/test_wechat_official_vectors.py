"""WeChat's own published sample for message encryption (消息加解密接入指引 / WXBizMsgCrypt demo):
Token "spamtest", EncodingAESKey "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
AppID "wx2c2769f8efd9abc2", timestamp 1409735669, nonce 1320562132.
"""

import pytest
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto

from {{ cookiecutter.bank_slug }}.wechat import transport
from {{ cookiecutter.bank_slug }}.wechat.errors import RejectedRequest
from {{ cookiecutter.bank_slug }}.wechat.transport import Envelope, TransportSettings

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
TIMESTAMP = "1409735669"
NONCE = "1320562132"
SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
# The sample is a compat-mode push: plaintext fields and <Encrypt> side by side.
SAMPLE_PUSH = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    f"<Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
)

pytestmark = pytest.mark.smoke
SETTINGS = TransportSettings(TOKEN, AES_KEY, APP_ID, "compat", timestamp_window=300)
SENT_AT = int(TIMESTAMP)


def envelope(**overrides):
    args = {"signature": SIGNATURE, "timestamp": TIMESTAMP, "nonce": NONCE, "encrypt_type": "aes",
            "msg_signature": MSG_SIGNATURE}
    args.update(overrides)
    return Envelope.from_args(args)


def test_sample_signature_verifies_at_its_own_time():
    transport.verify_envelope(SETTINGS, envelope(), now=SENT_AT + 10)


def test_sample_is_refused_today_as_stale():
    with pytest.raises(RejectedRequest) as caught:
        transport.verify_envelope(SETTINGS, envelope())
    assert caught.value.status == 403 and "window" in caught.value.reason


def test_sample_decrypts_to_the_published_plaintext():
    plain = transport.open_body(SETTINGS, envelope(), SAMPLE_PUSH)
    assert "<Content><![CDATA[abcdteT]]></Content>" in plain
    assert "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>" in plain
    assert "<MsgId>6054768590064713728</MsgId>" in plain


@pytest.mark.parametrize("field,value", [
    ("msg_signature", "0" * 40),
    ("nonce", "1320562133"),
])
def test_tampered_sample_is_refused(field, value):
    with pytest.raises(RejectedRequest) as caught:
        transport.open_body(SETTINGS, envelope(**{field: value}), SAMPLE_PUSH)
    assert caught.value.status == 403


def test_sample_for_another_app_id_is_refused():
    other = TransportSettings(TOKEN, AES_KEY, "wx0000000000000000", "compat", 300)
    with pytest.raises(RejectedRequest) as caught:
        transport.open_body(other, envelope(), SAMPLE_PUSH)
    assert caught.value.status == 403


def test_endpoint_accepts_the_sample_url_check(make_app, monkeypatch):
    app = make_app(WECHAT_TOKEN=TOKEN, WECHAT_ENCODING_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID,
                   WECHAT_ENCRYPT_MODE="compat")
    monkeypatch.setattr(transport.time, "time", lambda: SENT_AT + 1)
    response = app.test_client().get("/wechat", query_string={
        "signature": SIGNATURE, "timestamp": TIMESTAMP, "nonce": NONCE, "echostr": "shr5ch"})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "shr5ch"


def test_endpoint_answers_the_sample_push_encrypted(make_app, monkeypatch):
    app = make_app(WECHAT_TOKEN=TOKEN, WECHAT_ENCODING_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID,
                   WECHAT_ENCRYPT_MODE="compat")
    monkeypatch.setattr(transport.time, "time", lambda: SENT_AT + 1)
    query = {"signature": SIGNATURE, "timestamp": TIMESTAMP, "nonce": NONCE, "encrypt_type": "aes",
             "msg_signature": MSG_SIGNATURE}
    response = app.test_client().post("/wechat", query_string=query, data=SAMPLE_PUSH.encode())
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<Encrypt>" in body and "abcdteT" not in body
    root = fromstring(body)
    plain = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        body, root.findtext("MsgSignature"), root.findtext("TimeStamp"), root.findtext("Nonce"))
    assert "<ToUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></ToUserName>" in plain
    assert "abcdteT" in plain  # the fallback reply quotes what it did not understand
