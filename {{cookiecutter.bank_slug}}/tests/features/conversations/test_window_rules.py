"""Staff replies and WeChat's customer-service window, through the outbox's dispatcher and the mock WeChat API:
inside the window the reply itself goes as a customer-service message (and the count the agent sees goes down);
outside it, or with the window's count used up, a template notice says a reply is waiting (the H5 page has it);
without a template nothing is sent; a 45015 the mock answers against our record is retried as the template.
One channel per reply, never two."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.conversations import service
from {{ cookiecutter.bank_slug }}.features.conversations.notify import TOPIC_NAME
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher
from {{ cookiecutter.bank_slug }}.outbox.models import DELIVERED, UNDELIVERABLE, Notice
from {{ cookiecutter.bank_slug }}.wechat.window import record_interaction

from ...live_sandbox import live_sandbox
from .support import ALICE, make_world

FAST = {"ALERT_RETRY_BASE_SECONDS": 0.01, "ALERT_RETRY_MAX_SECONDS": 0.05, "ALERT_SEND_TIMEOUT_SECONDS": 0.5,
        "ALERT_CONCURRENT_SENDS": 4, "ALERT_MAX_ATTEMPTS": 5, "CONVERSATION_SERVICE_HOURS": "24小时"}


@pytest.fixture
def live(make_app):
    app = make_app(**FAST)
    world = make_world(app)
    with live_sandbox(app) as sandbox:
        sandbox.state.settings = replace(sandbox.state.settings, timeout_seconds=1.0)
        sandbox.state.add_user(ALICE, "小张", subscribed=True)
        sandbox.world = world
        yield sandbox


def open_and_reply(live, *texts, window=True):
    with live.service.app_context():
        if window:
            record_interaction(db.engine, ALICE)
            live.state.touch(ALICE)  # the mock relayed the customer's message: it counts the window too
        conversation = service.start(ALICE).conversation
        for text in texts:
            service.reply(live.world.staff(live.world.east), service.open_conversation_of(ALICE), text)
        return conversation.id


def drain(live):
    dispatcher = Dispatcher(live.service)
    try:
        return dispatcher.drain(2.0)
    finally:
        dispatcher.close()


def sent(live, kind):
    return live.state.records_since(kind=kind)


def replies(live):
    with live.service.app_context():
        found = list(db.session.scalars(select(Notice).where(Notice.topic == TOPIC_NAME).order_by(Notice.id)))
        db.session.expunge_all()
        return found


def test_inside_the_window_the_reply_goes_as_a_customer_service_message(live):
    open_and_reply(live, "您好，请问有什么可以帮您？")
    with live.service.app_context():
        assert service.window_left(ALICE) == {"left": 4, "queued": 1}  # the queued reply already counts
    drain(live)
    (notice,) = replies(live)
    assert (notice.state, notice.channel) == (DELIVERED, "kefu")
    (message,) = sent(live, "custom")
    assert message.payload["text"]["content"] == "王经理：您好，请问有什么可以帮您？"
    assert sent(live, "template") == []
    with live.service.app_context():
        assert service.window_left(ALICE) == {"left": 4, "queued": 0}


def test_outside_the_window_a_template_says_a_reply_is_waiting(live):
    open_and_reply(live, "您的问题已核实。", window=False)
    with live.service.app_context():
        assert service.window_left(ALICE)["left"] == 0
    drain(live)
    (notice,) = replies(live)
    assert (notice.state, notice.channel) == (DELIVERED, "wechat")
    (message,) = sent(live, "template")
    assert message.payload["url"].endswith("/h5/conversations")
    assert message.payload["template_id"] == live.service.config["CONVERSATION_TEMPLATE_ID"]
    assert "王经理" in str(message.payload["data"]) and "您的问题已核实" not in str(message.payload["data"])
    assert sent(live, "custom") == []


def test_without_a_template_outside_the_window_nothing_is_sent_and_the_reply_waits(live):
    live.service.config["CONVERSATION_TEMPLATE_ID"] = ""
    open_and_reply(live, "您的问题已核实。", window=False)
    drain(live)
    (notice,) = replies(live)
    assert (notice.state, notice.final_reason) == (UNDELIVERABLE, "window_closed")
    assert sent(live, "custom") == [] and sent(live, "template") == []
    with live.service.app_context():
        staff_said = [m.body for m in service.latest_conversation(ALICE).messages if m.author == "staff"]
        assert staff_said == ["您的问题已核实。"]


def test_the_window_count_used_up_the_rest_go_as_the_template(live):
    open_and_reply(live, *[f"第{n}条回复" for n in range(6)])
    drain(live)
    channels = [notice.channel for notice in replies(live)]
    assert channels == ["kefu"] * 5 + ["wechat"]
    assert len(sent(live, "custom")) == 5 and len(sent(live, "template")) == 1


def test_a_45015_against_our_record_is_retried_as_the_template(live):
    open_and_reply(live, "您好")
    live.state.user(ALICE).last_interaction = int(live.state.clock()) - 49 * 3600  # the mock knows better
    drain(live)
    (notice,) = replies(live)
    assert (notice.state, notice.channel, notice.attempts) == (DELIVERED, "wechat", 2)  # kefu refused, then template
    assert sent(live, "custom") == [] and len(sent(live, "template")) == 1
