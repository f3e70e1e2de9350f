"""Replies within WeChat's 5 s: a slow handler answers "success" now and the reply follows by
customer-service message; a failing handler still gets a polite answer; neither runs twice."""

import threading

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.wechat.models import InboundMessage

from ..helpers import next_msg_id, push, reply_field, settle


@pytest.fixture
def slow_app(make_app):
    app = make_app(WECHAT_REPLY_BUDGET_SECONDS="0.05", WECHAT_ENCRYPT_MODE="safe")
    release = threading.Event()
    calls = []

    def slow(message):
        calls.append(message.id)
        release.wait(10)
        return "慢慢来的回复"

    def broken(message):
        calls.append(message.id)
        raise RuntimeError("core banking is down")

    app.extensions["wechat_router"].text("慢", slow=True)(slow)
    app.extensions["wechat_router"].text("坏")(broken)
    delivered = []
    app.extensions["wechat_processor"].late_delivery = lambda openid, xml: delivered.append((openid, xml))
    return app, release, calls, delivered


def _status(app, openid):
    settle(app)
    with app.app_context():
        return db.session.execute(select(InboundMessage.status).where(InboundMessage.openid == openid)).scalar_one()


def test_slow_handler_answers_success_then_delivers_late(slow_app):
    app, release, calls, delivered = slow_app
    pusher = WeChatPusher.from_config(app.config)
    xml = text_message("o-slow", "慢", next_msg_id())
    response, reply = push(app.test_client(), pusher, xml)
    assert response.get_data(as_text=True) == "success" and reply == ""
    release.set()
    app.extensions["wechat_processor"].executor.shutdown(wait=True)
    assert len(delivered) == 1
    openid, late_xml = delivered[0]
    assert openid == "o-slow" and reply_field(late_xml, "Content") == "慢慢来的回复"
    assert _status(app, "o-slow") == "late"
    # WeChat's retry after that: no second run, no second delivery
    retry, retry_reply = push(app.test_client(), pusher, xml)
    assert retry.get_data(as_text=True) == "success"
    assert calls == [calls[0]] and len(delivered) == 1


def test_failing_handler_gets_a_polite_reply_once(slow_app):
    app, _release, calls, delivered = slow_app
    pusher = WeChatPusher.from_config(app.config)
    app.config["WECHAT_REPLY_BUDGET_SECONDS"] = 4.0
    xml = text_message("o-bad", "坏", next_msg_id())
    response, reply = push(app.test_client(), pusher, xml)
    assert response.status_code == 200
    assert "系统繁忙" in reply_field(reply, "Content") and app.config["SERVICE_HOTLINE"] in reply
    _, again = push(app.test_client(), pusher, xml)
    assert reply_field(again, "Content") == reply_field(reply, "Content")
    assert len(calls) == 1 and delivered == []
    assert _status(app, "o-bad") == "failed"
