"""The /wechat endpoint in every mode: verification, replies, and bad input."""

import time

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import (
    WeChatPusher,
    event_message,
    message_xml,
    sha1_signature,
    text_message,
)
from {{ cookiecutter.bank_slug }}.wechat.models import Follower, FollowEvent, InboundMessage

from ..helpers import next_msg_id, push, reply_field

MODES = ["plain", "compat", "safe"]
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


@pytest.fixture(params=MODES)
def mode_app(request, make_app):
    return make_app(WECHAT_ENCRYPT_MODE=request.param, BANK_NAME="测试农村商业银行", SERVICE_HOTLINE="96000")


@pytest.fixture
def mode_client(mode_app):
    return mode_app.test_client()


@pytest.fixture
def mode_pusher(mode_app):
    return WeChatPusher.from_config(mode_app.config)


def test_url_verification_echoes(mode_client, mode_pusher):
    response = mode_client.get("/wechat", query_string=mode_pusher.url_check("echo-8731"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "echo-8731"


def test_url_verification_with_wrong_token_is_403(mode_client, mode_app):
    wrong = WeChatPusher("wrongtoken", mode_app.config["WECHAT_ENCODING_AES_KEY"], "x", "plain")
    response = mode_client.get("/wechat", query_string=wrong.url_check("echo"))
    assert response.status_code == 403


def test_subscribe_gets_the_branded_welcome_and_is_recorded(mode_app, mode_client, mode_pusher):
    response, reply = push(mode_client, mode_pusher, event_message(OPENID, "subscribe"))
    assert response.status_code == 200
    if mode_app.config["WECHAT_ENCRYPT_MODE"] != "plain":
        assert "<Encrypt>" in response.get_data(as_text=True)
    content = reply_field(reply, "Content")
    assert "欢迎关注测试农村商业银行" in content
    assert "绑定" in content and "96000" in content
    assert reply_field(reply, "ToUserName") == OPENID
    with mode_app.app_context():
        follower = db.session.execute(select(Follower).where(Follower.openid == OPENID)).scalar_one()
        assert follower.subscribed is True


def test_unsubscribe_marks_the_follower_and_says_nothing(mode_app, mode_client, mode_pusher):
    push(mode_client, mode_pusher, event_message(OPENID, "subscribe"))
    response, reply = push(mode_client, mode_pusher, event_message(OPENID, "unsubscribe"))
    assert response.get_data(as_text=True) == "success" and reply == ""
    with mode_app.app_context():
        follower = db.session.execute(select(Follower).where(Follower.openid == OPENID)).scalar_one()
        assert follower.subscribed is False
        kinds = db.session.execute(select(FollowEvent.kind).order_by(FollowEvent.id)).scalars().all()
        assert kinds == ["subscribe", "unsubscribe"]


@pytest.mark.parametrize("keyword", ["帮助", "help", " HELP ", "？"])
def test_help_lists_commands(mode_client, mode_pusher, keyword):
    _, reply = push(mode_client, mode_pusher, text_message(OPENID, keyword, next_msg_id()))
    content = reply_field(reply, "Content")
    assert "「帮助」" in content and "96000" in content


def test_help_menu_click(mode_client, mode_pusher):
    _, reply = push(mode_client, mode_pusher, event_message(OPENID, "CLICK", "HELP"))
    assert "「帮助」" in reply_field(reply, "Content")


def test_unknown_text_gets_a_helpful_fallback(mode_client, mode_pusher):
    _, reply = push(mode_client, mode_pusher, text_message(OPENID, "我想办信用卡", next_msg_id()))
    content = reply_field(reply, "Content")
    assert "我想办信用卡" in content and "帮助" in content


def test_fallback_never_echoes_a_card_or_phone_number(mode_client, mode_pusher):
    _, reply = push(mode_client, mode_pusher, text_message(OPENID, "6228480402564890018", next_msg_id()))
    content = reply_field(reply, "Content")
    assert "6228480402564890018" not in content and "6228 **** **** 0018" in content


def test_unsupported_message_type_gets_a_polite_text(mode_client, mode_pusher):
    xml = message_xml("gh_sandbox", OPENID, "image",
                      {"PicUrl": "http://example.invalid/a.jpg", "MediaId": "m1", "MsgId": next_msg_id()})
    response, reply = push(mode_client, mode_pusher, xml)
    assert response.status_code == 200
    assert "暂不支持" in reply_field(reply, "Content")


def test_unknown_menu_key_is_answered_politely(mode_client, mode_pusher):
    _, reply = push(mode_client, mode_pusher, event_message(OPENID, "CLICK", "NO_SUCH_KEY"))
    assert "暂不支持" in reply_field(reply, "Content")


def test_unhandled_event_gets_success(mode_client, mode_pusher):
    response, reply = push(mode_client, mode_pusher, event_message(OPENID, "VIEW", "https://example.cn/"))
    assert response.get_data(as_text=True) == "success" and reply == ""


def test_retry_gets_the_same_reply_and_no_second_side_effect(mode_app, mode_client, mode_pusher):
    xml = event_message(OPENID, "subscribe", create_time=int(time.time()))
    first, first_reply = push(mode_client, mode_pusher, xml)
    second, second_reply = push(mode_client, mode_pusher, xml)  # WeChat's retry: same event, new nonce
    assert first.status_code == second.status_code == 200
    assert reply_field(first_reply, "Content") == reply_field(second_reply, "Content")
    with mode_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowEvent)) == 1
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_text_retry_by_msg_id(mode_app, mode_client, mode_pusher):
    msg_id = next_msg_id()
    _, a = push(mode_client, mode_pusher, text_message(OPENID, "帮助", msg_id))
    _, b = push(mode_client, mode_pusher, text_message(OPENID, "帮助", msg_id))
    assert reply_field(a, "Content") == reply_field(b, "Content")
    with mode_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


# -- bad input ---------------------------------------------------------------------------------

def test_wrong_signature_is_403(mode_client, mode_pusher):
    signed = mode_pusher.sign(text_message(OPENID, "帮助", next_msg_id()))
    query = dict(signed.query, signature="0" * 40)
    response = mode_client.post("/wechat", query_string=query, data=signed.body)
    assert response.status_code == 403 and "signature" in response.get_data(as_text=True)


def test_missing_signature_is_403(mode_client):
    response = mode_client.post("/wechat", data="<xml></xml>")
    assert response.status_code == 403


@pytest.mark.parametrize("skew", [-301, 301, -86400])
def test_timestamp_outside_the_window_is_403(mode_client, mode_pusher, skew):
    xml = text_message(OPENID, "帮助", next_msg_id())
    response, _ = push(mode_client, mode_pusher, xml, timestamp=int(time.time()) + skew)
    assert response.status_code == 403 and "window" in response.get_data(as_text=True)


def test_window_is_configurable(make_app):
    app = make_app(WECHAT_TIMESTAMP_WINDOW_SECONDS="30", WECHAT_ENCRYPT_MODE="plain")
    pusher = WeChatPusher.from_config(app.config)
    response, _ = push(app.test_client(), pusher, text_message(OPENID, "帮助", next_msg_id()),
                       timestamp=int(time.time()) - 60)
    assert response.status_code == 403


def _post_raw(client, pusher, body, **query_overrides):
    """A correctly signed request whose body is `body` as given (plain mode signs no body)."""
    query = pusher.url_check("x")
    query.pop("echostr")
    query.update(query_overrides)
    return client.post("/wechat", query_string=query, data=body)


@pytest.mark.parametrize("body,reason", [
    (b"", "empty"),
    (b"   ", "empty"),
    (b"<xml><ToUserName>a</ToUserName>", "malformed"),
    (b"not xml at all", "malformed"),
    (b"<root><a>1</a></root>", "root element"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>', "malformed"),
    (b"<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime></xml>", "missing fields"),
    (b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>soon</CreateTime>"
     b"<MsgType>text</MsgType></xml>", "CreateTime"),
    ("<xml>\udcff</xml>".encode("utf-8", "surrogateescape"), "UTF-8"),
])
def test_malformed_plain_bodies_are_400(make_app, body, reason):
    app = make_app(WECHAT_ENCRYPT_MODE="plain")
    response = _post_raw(app.test_client(), WeChatPusher.from_config(app.config), body)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_oversized_body_is_400(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="plain", WECHAT_MAX_BODY_BYTES="2048")
    body = text_message(OPENID, "长" * 5000, next_msg_id()).encode()
    response = _post_raw(app.test_client(), WeChatPusher.from_config(app.config), body)
    assert response.status_code == 400 and "larger" in response.get_data(as_text=True)


def test_safe_mode_refuses_plaintext(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe")
    plain = WeChatPusher(app.config["WECHAT_TOKEN"], "", app.config["WECHAT_APP_ID"], "plain")
    response, _ = push(app.test_client(), plain, text_message(OPENID, "帮助", next_msg_id()))
    assert response.status_code == 403 and "encrypted" in response.get_data(as_text=True)


@pytest.mark.parametrize("mode", ["plain", "compat"])
def test_plain_and_compat_accept_plaintext(make_app, mode):
    app = make_app(WECHAT_ENCRYPT_MODE=mode)
    plain = WeChatPusher(app.config["WECHAT_TOKEN"], "", app.config["WECHAT_APP_ID"], "plain")
    response, reply = push(app.test_client(), plain, text_message(OPENID, "帮助", next_msg_id()))
    assert response.status_code == 200 and "「帮助」" in reply


def test_encrypted_push_with_garbage_ciphertext_is_400(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe")
    pusher = WeChatPusher.from_config(app.config)
    signed = pusher.sign(text_message(OPENID, "帮助", next_msg_id()))
    garbage = "!!!not-base64!!!"
    q = dict(signed.query)
    q["msg_signature"] = sha1_signature(pusher.token, q["timestamp"], q["nonce"], garbage)
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"
    response = app.test_client().post("/wechat", query_string=q, data=body)
    assert response.status_code == 400


def test_encrypted_push_without_encrypt_element_is_400(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe")
    pusher = WeChatPusher.from_config(app.config)
    signed = pusher.sign(text_message(OPENID, "帮助", next_msg_id()))
    response = app.test_client().post("/wechat", query_string=signed.query,
                                      data="<xml><ToUserName>gh</ToUserName></xml>")
    assert response.status_code in (400, 403)


def test_message_for_another_account_is_403(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe")
    other = WeChatPusher(app.config["WECHAT_TOKEN"], app.config["WECHAT_ENCODING_AES_KEY"],
                         "wx0123456789abcdef", "safe")
    response, _ = push(app.test_client(), other, text_message(OPENID, "帮助", next_msg_id()))
    assert response.status_code == 403


def test_rejections_never_leak_a_traceback(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="plain")
    response = _post_raw(app.test_client(), WeChatPusher.from_config(app.config), b"<xml><")
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "File \"" not in text


# The keywords the welcome message and the menu promise; each feature's own reply has its own tests.
@pytest.mark.parametrize("keyword", ["绑定", "余额", "转账", "理财", "提醒"])
def test_promised_keywords_are_answered_never_not_understood(client, pusher, keyword):
    _, reply = push(client, pusher, text_message(OPENID, keyword, next_msg_id()))
    assert reply_field(reply, "MsgType") in ("text", "news")
    assert "没能理解" not in reply_field(reply, "Content")
