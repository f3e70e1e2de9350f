"""De-duplication keys on the sender as well as the MsgId, keeps distinct events of one second apart, and
never leaves a claim stuck: a handler's database error is rolled back and recorded, a claim abandoned by a
dead handler is taken over by the next retry (issue 13, defect 10)."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message, message_xml, text_message
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import InboundMessage

from ..helpers import next_msg_id, push, reply_field, settle

ALICE = "oAliceDedup00000000000000001"
MALLORY = "oMalloryDedup000000000000001"


@pytest.fixture
def keyed_app(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe")
    calls = []

    def echo(message):
        calls.append((message.source, message.content))
        return f"你说的是：{message.content}"

    def database_error(message):
        calls.append((message.source, "db"))
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.extensions["wechat_router"].text("回声")(echo)
    app.extensions["wechat_router"].text("数据库故障")(database_error)
    return app, calls


def rows(app, **where):
    settle(app)
    with app.app_context():
        query = select(InboundMessage)
        for name, value in where.items():
            query = query.where(getattr(InboundMessage, name) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def test_another_users_push_with_the_same_msg_id_is_its_own_message(keyed_app):
    app, calls = keyed_app
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)
    msg_id = next_msg_id()
    _, alice_reply = push(client, pusher, text_message(ALICE, "回声", msg_id))
    _, mallory_reply = push(client, pusher, text_message(MALLORY, "回声", msg_id))
    assert reply_field(alice_reply, "ToUserName") == ALICE
    assert reply_field(mallory_reply, "ToUserName") == MALLORY  # not Alice's stored reply
    assert calls == [(ALICE, "回声"), (MALLORY, "回声")]
    assert len(rows(app)) == 2


def test_a_retry_of_the_same_push_still_runs_the_handler_once(keyed_app):
    app, calls = keyed_app
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)
    xml = text_message(ALICE, "回声", next_msg_id())
    first = push(client, pusher, xml)[1]
    again = push(client, pusher, xml)[1]
    assert first == again and calls == [(ALICE, "回声")]


def test_two_different_events_of_one_user_in_the_same_second_stay_apart(keyed_app):
    app, _ = keyed_app
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)
    now = int(time.time())
    for latitude in ("23.137466", "23.137999"):
        xml = message_xml("gh_sandbox", ALICE, "event", {"Event": "LOCATION", "Latitude": latitude,
                                                         "Longitude": "113.352425", "Precision": "119.385"},
                          create_time=now)
        assert push(client, pusher, xml)[0].status_code == 200
    retry = message_xml("gh_sandbox", ALICE, "event", {"Event": "LOCATION", "Latitude": "23.137999",
                                                       "Longitude": "113.352425", "Precision": "119.385"},
                        create_time=now)
    push(client, pusher, retry)  # WeChat's retry of the second: collapses into it
    assert len(rows(app, openid=ALICE)) == 2
    subscribe = event_message(ALICE, "subscribe", None, create_time=now)
    scan = event_message(ALICE, "SCAN", "branch_0101", create_time=now)
    for xml in (subscribe, scan):
        push(client, pusher, xml)
    assert len(rows(app, openid=ALICE)) == 4


def test_a_handlers_database_error_is_rolled_back_and_recorded_not_left_processing(keyed_app):
    app, calls = keyed_app
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)
    xml = text_message(ALICE, "数据库故障", next_msg_id())
    response, reply = push(client, pusher, xml)
    assert response.status_code == 200 and "系统繁忙" in reply_field(reply, "Content")
    assert [row.status for row in rows(app, openid=ALICE)] == ["failed"]
    _, again = push(client, pusher, xml)  # WeChat's retry: the stored apology, the handler not run again
    assert "系统繁忙" in reply_field(again, "Content") and calls == [(ALICE, "db")]


def test_a_claim_abandoned_by_a_dead_handler_is_taken_over_by_the_next_retry(keyed_app):
    app, calls = keyed_app
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)
    xml = text_message(ALICE, "回声", next_msg_id())
    push(client, pusher, xml)
    settle(app)
    with app.app_context():  # as if the worker had died mid-handler two minutes ago
        db.session.execute(update(InboundMessage).values(status="processing", reply_xml=None,
                                                         received_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    _, reply = push(client, pusher, xml)
    assert "你说的是" in reply_field(reply, "Content")
    assert [row.status for row in rows(app, openid=ALICE)] == ["replied"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
