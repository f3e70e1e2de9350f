"""Hostile pushes to /wechat: broken envelopes and message shapes WeChat never sends get a 4xx, never a 500;
replies stay valid XML whatever the text; signed timestamps are plain ASCII digits.
"""

import base64
import time

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, sha1_signature
from {{ cookiecutter.bank_slug }}.wechat.reply_xml import cdata_safe, render_reply

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


@pytest.fixture(params=["plain", "compat", "safe"])
def mode_app(request, make_app):
    return make_app(WECHAT_ENCRYPT_MODE=request.param)


@pytest.fixture
def safe_app(make_app):
    return make_app(WECHAT_ENCRYPT_MODE="safe")


def post(app, xml: str):
    pushed = WeChatPusher.from_config(app.config).sign(xml)
    return app.test_client().post("/wechat", query_string=pushed.query, data=pushed.body.encode(),
                                  content_type="text/xml"), pushed


def envelope(app, encrypt: str, **extra):
    """An encrypted envelope with whatever `encrypt` is, signed correctly (msg_signature covers it)."""
    token, timestamp, nonce = app.config["WECHAT_TOKEN"], str(int(time.time())), "12345"
    query = {"signature": sha1_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
             "encrypt_type": "aes", "msg_signature": sha1_signature(token, timestamp, nonce, encrypt), **extra}
    body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return app.test_client().post("/wechat", query_string=query, data=body.encode(), content_type="text/xml")


@pytest.mark.parametrize("encrypt", ["", "AAAA", base64.b64encode(b"x" * 16).decode(),
                                     base64.b64encode(b"\x00" * 32).decode(), "not base64 at all!"])
def test_empty_short_or_garbage_ciphertext_is_a_400(safe_app, encrypt):
    response = envelope(safe_app, encrypt)
    assert response.status_code == 400
    assert "malformed encrypted message" in response.get_data(as_text=True)


def test_an_empty_ciphertext_needs_no_token_yet_still_gets_no_500(safe_app):
    # sha1 over (token, timestamp, nonce, "") equals the URL signature: this request is "signed" by anyone
    # who saw one signed URL; it must still end in a 400.
    token, timestamp, nonce = safe_app.config["WECHAT_TOKEN"], str(int(time.time())), "777"
    signature = sha1_signature(token, timestamp, nonce)
    assert signature == sha1_signature(token, timestamp, nonce, "")
    response = safe_app.test_client().post(
        "/wechat", query_string={"signature": signature, "timestamp": timestamp, "nonce": nonce,
                                 "encrypt_type": "aes", "msg_signature": signature},
        data=b"<xml><Encrypt></Encrypt></xml>", content_type="text/xml")
    assert response.status_code == 400


def _message(body_fields: str, from_user: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName><FromUserName><![CDATA[{from_user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>{body_fields}</xml>")


SHAPES = {
    "attribute on MsgType": _message('<MsgType a="1">text</MsgType><Content>hi</Content><MsgId>1</MsgId>'),
    "child in MsgType": _message("<MsgType><b>text</b></MsgType><Content>hi</Content><MsgId>1</MsgId>"),
    "child in Event": _message("<MsgType>event</MsgType><Event><x>subscribe</x></Event>"),
    "attribute on EventKey": _message('<MsgType>event</MsgType><Event>CLICK</Event><EventKey k="v">K</EventKey>'),
    "child in FromUserName": ("<xml><ToUserName>gh</ToUserName><FromUserName><o>x</o></FromUserName>"
                              f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType></xml>"),
    "repeated MsgType": _message("<MsgType>text</MsgType><MsgType>event</MsgType><Content>hi</Content>"),
    "repeated Content": _message("<MsgType>text</MsgType><Content>a</Content><Content>b</Content><MsgId>2</MsgId>"),
    "empty Event": _message("<MsgType>event</MsgType><Event></Event>"),
    "non-numeric MsgId": _message("<MsgType>text</MsgType><Content>hi</Content><MsgId>abc</MsgId>"),
    "5,000-digit MsgId": _message("<MsgType>text</MsgType><Content>hi</Content><MsgId>" + "9" * 5000 + "</MsgId>"),
    "Unicode-digit MsgId": _message("<MsgType>text</MsgType><Content>hi</Content><MsgId>１２３</MsgId>"),
    "FromUserName over 64": _message("<MsgType>text</MsgType><Content>hi</Content><MsgId>3</MsgId>", "o" * 65),
    "CreateTime with a sign": _message("<MsgType>text</MsgType><Content>hi</Content>").replace(
        "<CreateTime>", "<CreateTime>+"),
}


@pytest.mark.parametrize("xml", SHAPES.values(), ids=SHAPES.keys())
def test_unexpected_message_shapes_are_a_400(mode_app, xml):
    response, _ = post(mode_app, xml)
    assert response.status_code == 400, response.get_data(as_text=True)


@pytest.mark.parametrize("stamp", ["+{t}", " {t}", "{t} ", "{u}", "{t}.0", "0x10"])
def test_signed_timestamps_are_plain_ascii_digits(mode_app, stamp):
    now = int(time.time())
    timestamp = stamp.format(t=now, u=str(now).translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    token, nonce = mode_app.config["WECHAT_TOKEN"], "1"
    query = {"signature": sha1_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
             "echostr": "hello"}
    assert mode_app.test_client().get("/wechat", query_string=query).status_code == 403


@pytest.mark.parametrize("text", ["a]]>b", "]]>", "x]]]]>y", "<![CDATA[", "line\u2028break"])
def test_replies_stay_valid_xml_whatever_the_customer_wrote(mode_app, text):
    xml = _message(f"<MsgType>text</MsgType><Content><![CDATA[{text.replace(']]>', ']]]]><![CDATA[>')}]]>"
                   "</Content><MsgId>4242</MsgId>")
    response, pushed = post(mode_app, xml)
    assert response.status_code == 200
    reply = WeChatPusher.from_config(mode_app.config).open_reply(response.get_data(as_text=True), pushed.query)
    if reply:
        fromstring(reply)  # well-formed


def _as_parsed(text: str) -> str:
    """What an XML parser reads back from `text` in a reply: the characters XML cannot carry are gone, line
    ends are normalised (XML 1.0, 2.11)."""
    return cdata_safe(text).replace("]]]]><![CDATA[>", "]]>").replace("\r\n", "\n").replace("\r", "\n")


@given(st.text(max_size=80))
@settings(max_examples=150, deadline=None)
def test_any_text_survives_a_reply_round_trip(text):
    from wechatpy.replies import ArticlesReply, TextReply

    xml = render_reply(TextReply(source="gh", target=OPENID, content=text))
    assert (fromstring(xml).findtext("Content") or "") == _as_parsed(text)
    news = render_reply(ArticlesReply(source="gh", target=OPENID, articles=[
        {"title": text, "description": text, "image": "", "url": "https://x.example/" + text}]))
    assert (fromstring(news).find("Articles/item/Title").text or "") == _as_parsed(text)


# What a pushed XML can carry (no C0 controls but tab/newline, no surrogates or non-characters).
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
                   max_size=40)


@given(msg_type=st.sampled_from(["text", "event", "image", "location", "link", "voice", "video", "", "x" * 50]),
       event=st.one_of(st.none(), st.sampled_from(["subscribe", "unsubscribe", "CLICK", "SCAN", "LOCATION",
                                                   "VIEW", "TEMPLATESENDJOBFINISH", ""]), XML_TEXT),
       key=st.one_of(st.none(), XML_TEXT), content=st.one_of(st.none(), XML_TEXT),
       msg_id=st.one_of(st.none(), st.integers(min_value=-5, max_value=2**70).map(str), XML_TEXT),
       from_user=st.one_of(st.just(OPENID), XML_TEXT), extra=st.lists(st.sampled_from(
           ["<Latitude>23.1</Latitude>", "<Latitude><x/></Latitude>", "<ScanCodeInfo><ScanResult>1</ScanResult>"
            "</ScanCodeInfo>", "<Ticket>t</Ticket>", "<Status>success</Status>", '<Foo a="1"/>']), max_size=3))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
def test_fuzzed_messages_never_get_a_5xx(safe_app, msg_type, event, key, content, msg_id, from_user, extra):
    from xml.sax.saxutils import escape

    parts = [f"<MsgType>{escape(msg_type)}</MsgType>"]
    for name, value in (("Event", event), ("EventKey", key), ("Content", content), ("MsgId", msg_id)):
        if value is not None:
            parts.append(f"<{name}>{escape(value)}</{name}>")
    xml = _message("".join(parts + extra), escape(from_user))
    response, pushed = post(safe_app, xml)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        reply = WeChatPusher.from_config(safe_app.config).open_reply(response.get_data(as_text=True), pushed.query)
        if reply:
            fromstring(reply)
