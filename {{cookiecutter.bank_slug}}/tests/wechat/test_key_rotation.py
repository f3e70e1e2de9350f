"""EncodingAESKey rotation: during a changeover the previous key still decrypts, and the reply is sealed with
the key the message came in with (WeChat's 消息加解密 FAQ); no other key is accepted."""

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.settings import ConfigError, load_config
from {{ cookiecutter.bank_slug }}.wechat.errors import RejectedRequest
from {{ cookiecutter.bank_slug }}.wechat.transport import Envelope, TransportSettings, open_message, seal_reply

from ..conftest import make_config
from ..helpers import next_msg_id, push, reply_field

OLD = "a" * 43
NEW = "B" * 42 + "7"
OTHER = "c" * 43
TOKEN, APP_ID = "rotationtoken", "wx1234567890abcdef"
OPENID = "oRotation00000000000000000001"


def _sealed(key: str, mode: str = "safe"):
    pushed = WeChatPusher(TOKEN, key, APP_ID, mode).sign(text_message(OPENID, "余额", 1))
    return Envelope.from_args(pushed.query), pushed.body


@pytest.mark.parametrize("mode", ["safe", "compat"])
def test_a_message_sealed_with_the_previous_key_opens_and_its_reply_uses_that_key(mode):
    settings = TransportSettings(TOKEN, NEW, APP_ID, mode, 300, previous_aes_key=OLD)
    envelope, body = _sealed(OLD, mode)
    plaintext, used = open_message(settings, envelope, body)
    assert "<Content><![CDATA[余额]]></Content>" in plaintext and used.encoding_aes_key == OLD
    sealed = seal_reply(used, envelope, "<xml><Content>ok</Content></xml>")
    assert "<Content>ok</Content>" in WeChatPusher(TOKEN, OLD, APP_ID, mode).open_reply(sealed, {"encrypt_type": "aes"})
    with pytest.raises(Exception):  # noqa: B017 - the new key cannot open the reply meant for the old one
        WeChatPusher(TOKEN, NEW, APP_ID, mode).open_reply(sealed, {"encrypt_type": "aes"})


def test_the_current_key_is_tried_first():
    settings = TransportSettings(TOKEN, NEW, APP_ID, "safe", 300, previous_aes_key=OLD)
    envelope, body = _sealed(NEW)
    _, used = open_message(settings, envelope, body)
    assert used.encoding_aes_key == NEW


@pytest.mark.parametrize("previous", ["", OTHER])
def test_a_message_sealed_with_neither_key_is_refused(previous):
    settings = TransportSettings(TOKEN, NEW, APP_ID, "safe", 300, previous_aes_key=previous)
    envelope, body = _sealed(OLD)
    with pytest.raises(RejectedRequest) as refused:
        open_message(settings, envelope, body)
    assert refused.value.status in (400, 403)


def test_a_wrong_signature_is_not_retried_with_the_previous_key():
    settings = TransportSettings(TOKEN, NEW, APP_ID, "safe", 300, previous_aes_key=OLD)
    envelope, body = _sealed(OLD)
    forged = Envelope(envelope.signature, envelope.timestamp, envelope.nonce, True, "0" * 40)
    with pytest.raises(RejectedRequest, match="msg_signature"):
        open_message(settings, forged, body)


def test_the_previous_key_must_look_like_a_key():
    base = {key: str(value) for key, value in make_config("sqlite://").items()}
    with pytest.raises(ConfigError, match="PREVIOUS"):
        load_config({**base, "WECHAT_ENCODING_AES_KEY_PREVIOUS": "short"})
    assert load_config({**base, "WECHAT_ENCODING_AES_KEY_PREVIOUS": OLD})["WECHAT_ENCODING_AES_KEY_PREVIOUS"] == OLD


def test_the_endpoint_answers_an_old_key_message_sealed_with_the_old_key(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe")
    old_key = app.config["WECHAT_ENCODING_AES_KEY"]
    app.config.update(WECHAT_ENCODING_AES_KEY=NEW, WECHAT_ENCODING_AES_KEY_PREVIOUS=old_key)
    old_pusher = WeChatPusher.from_config({**app.config, "WECHAT_ENCODING_AES_KEY": old_key})
    response, reply = push(app.test_client(), old_pusher, text_message(OPENID, "帮助", next_msg_id()))
    assert response.status_code == 200 and reply_field(reply, "MsgType") == "text"
    app.config.update(WECHAT_ENCODING_AES_KEY_PREVIOUS="")  # the changeover is over: the old key is refused
    response, _ = push(app.test_client(), old_pusher, text_message(OPENID, "帮助", next_msg_id()))
    assert response.status_code in (400, 403)
