"""Conversations: routing (own account manager, else the binding's branch queue, else head office), every message
while open claimed before keyword routing, service hours and their automatic answer, flooding (rate-limited, never
lost), staff replies checked against WeChat's limits, take / transfer / close with the rating, scope, audit."""

import json

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.conversations import service
from {{ cookiecutter.bank_slug }}.features.conversations.models import (
    CLOSED,
    OPEN,
    Conversation,
    ConversationMessage,
    CustomerManager,
    ServiceHours,
)
from {{ cookiecutter.bank_slug }}.features.conversations.notify import TOPIC_NAME
from {{ cookiecutter.bank_slug }}.outbox.models import Notice
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message

from ...helpers import next_msg_id, push, reply_field
from .support import ALICE, BOB, CAROL, CONFIG, Clock, conversation_of, make_manager, make_world, say


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", clock)
    return clock


@pytest.fixture
def pusher():  # this module's apps: see `_pusher` (the shared fixture signs for the default app)
    return None


@pytest.fixture
def world_app(make_app, clock):
    app = make_app(**CONFIG)
    world = make_world(app)
    return app, world


def notices():
    return [json.loads(n.payload) | {"openid": n.openid} for n in
            db.session.scalars(select(Notice).where(Notice.topic == TOPIC_NAME).order_by(Notice.id))]


# -- routing and assignment ------------------------------------------------------------------------------------
def test_handoff_goes_to_the_binding_branch_queue(world_app, pusher):
    app, world = world_app
    client = app.test_client()
    answer = say(client, pusher, ALICE, "人工")
    assert "已为您转接人工服务" in answer and "结束" in answer
    with app.app_context():
        conversation = conversation_of(ALICE)
        assert (conversation.status, conversation.branch_code, conversation.assignee_id) == (OPEN, "0101", None)
        assert [c.id for c in service.inbox(world.staff(world.east), "queue")] == [conversation.id]
        assert service.inbox(world.staff(world.west), "queue") == []  # another branch sees nothing
        with pytest.raises(service.ConversationNotFound):
            service.staff_conversation(world.staff(world.west), conversation.id)
        assert service.staff_conversation(world.staff(world.hq), conversation.id) is not None


def test_without_a_card_the_head_office_queue(world_app, pusher):
    app, world = world_app
    say(app.test_client(), pusher, CAROL, "转人工")
    with app.app_context():
        conversation = conversation_of(CAROL)
        assert conversation.branch_code is None and conversation.assignee_id is None
        assert [c.id for c in service.inbox(world.staff(world.hq), "queue")] == [conversation.id]
        assert service.inbox(world.staff(world.east), "branch") == []


def test_the_own_account_manager_gets_it_across_branches(world_app, pusher):
    app, world = world_app
    make_manager(app, world.west)
    with app.app_context():
        db.session.add(CustomerManager(openid=ALICE, manager_id=world.west, assigned_by="hq_conv",
                                       contact_consent=False))
        db.session.commit()
    answer = say(app.test_client(), pusher, ALICE, "客户经理")
    assert "李经理" in answer
    with app.app_context():
        conversation = conversation_of(ALICE)
        assert (conversation.assignee_id, conversation.branch_code) == (world.west, "0201")
        assert [c.id for c in service.inbox(world.staff(world.west), "mine")] == [conversation.id]


def test_an_inactive_manager_falls_back_to_the_branch_queue(world_app, pusher):
    app, world = world_app
    make_manager(app, world.west)
    with app.app_context():
        db.session.add(CustomerManager(openid=ALICE, manager_id=world.west, assigned_by="hq", contact_consent=False))
        world.staff(world.west).active = False
        db.session.commit()
    say(app.test_client(), pusher, ALICE, "人工")
    with app.app_context():
        conversation = conversation_of(ALICE)
        assert (conversation.assignee_id, conversation.branch_code) == (None, "0101")


def test_two_messages_at_once_open_one_conversation(world_app, pusher, monkeypatch):
    """A race: the second message did not see the first one's conversation yet; the unique index keeps one."""
    app, _world = world_app
    say(app.test_client(), pusher, ALICE, "人工")
    found = service.open_conversation_of
    misses = iter([True])
    monkeypatch.setattr(service, "open_conversation_of",
                        lambda openid: None if next(misses, False) else found(openid))
    with app.app_context():
        outcome = service.start(ALICE, "同时发来的一句")
        assert outcome.conversation.id == conversation_of(ALICE).id
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1
        assert conversation_of(ALICE).messages[-1].body == "同时发来的一句"


# -- while open: every message is the conversation's -----------------------------------------------------------
def test_keywords_go_to_the_open_conversation_and_end_closes_it(world_app, pusher):
    app, _world = world_app
    client = app.test_client()
    say(client, pusher, ALICE, "人工")
    assert say(client, pusher, ALICE, "余额") == ""  # stored for staff, no keyword answer, no passive reply
    assert say(client, pusher, ALICE, "我的卡号 6228480402564890018 被锁了") == ""
    with app.app_context():
        conversation = conversation_of(ALICE)
        bodies = [m.body for m in conversation.messages if m.author == "customer"]
        assert bodies[0] == "余额" and "6228480402564890018" not in bodies[1] and "0018" in bodies[1]
        assert conversation.unanswered == 2
    assert "已结束" in say(client, pusher, ALICE, "结束")
    with app.app_context():
        assert conversation_of(ALICE).status == CLOSED
    assert "已结束" not in say(client, pusher, ALICE, "结束")  # no conversation now: routed as usual


def test_rating_by_digit_after_the_close(world_app, pusher):
    app, world = world_app
    client = app.test_client()
    say(client, pusher, ALICE, "人工")
    with app.app_context():
        conversation = conversation_of(ALICE)
        service.close(world.staff(world.east), conversation)
        assert notices()[-1]["kind"] == "closing"
    assert "感谢您的评价" in say(client, pusher, ALICE, "5")
    with app.app_context():
        assert conversation_of(ALICE).rating == 5
        with pytest.raises(service.ConversationStateRefused):
            service.rate(ALICE, conversation_of(ALICE).id, 4)  # once
    with app.app_context():
        with pytest.raises(service.ConversationNotFound):
            service.rate(BOB, conversation_of(ALICE).id, 3)  # another customer's


def test_a_digit_long_after_the_close_is_routed_as_usual(world_app, pusher, clock):
    app, world = world_app
    client = app.test_client()
    say(client, pusher, ALICE, "人工")
    with app.app_context():
        service.close(world.staff(world.east), conversation_of(ALICE))
    clock.advance(hours=3)
    assert "感谢您的评价" not in say(client, pusher, ALICE, "5")
    with app.app_context():
        assert conversation_of(ALICE).rating is None


# -- hours -----------------------------------------------------------------------------------------------------
def test_outside_service_hours_an_automatic_answer_with_the_hotline(world_app, pusher, clock):
    app, _world = world_app
    clock.advance(hours=10)  # 20:30 in Shanghai
    client = app.test_client()
    answer = say(client, pusher, ALICE, "人工")
    assert "非人工服务时间" in answer and app.config["SERVICE_HOTLINE"] in answer and "9:00-17:00" in answer
    assert say(client, pusher, ALICE, "还在吗") == ""  # said once, not on every message
    clock.advance(hours=5)
    assert "非人工服务时间" in say(client, pusher, ALICE, "有人吗")  # again after OUT_OF_HOURS_REPEAT
    with app.app_context():
        assert [m.body for m in conversation_of(ALICE).messages if m.author == "customer"] == ["还在吗", "有人吗"]


def test_branch_hours_override_the_default(world_app, clock):
    app, _world = world_app
    clock.advance(days=4)  # Saturday 10:30
    with app.app_context():
        assert service.in_service_hours("0101") is False
        db.session.add(ServiceHours(branch_code="0101", hours="周一至周五 9:00-17:00，周六 9:00-12:00"))
        db.session.commit()
        assert service.in_service_hours("0101") is True
        assert service.in_service_hours("0201") is False
        with pytest.raises(service.ConversationRefused) as refused:
            service.check_hours("每天 25:00-26:00")
        assert refused.value.field == "hours"


# -- flooding ----------------------------------------------------------------------------------------------------
def test_a_flooding_customer_is_slowed_down_and_nothing_is_lost(make_app, clock, pusher):
    app = make_app(**CONFIG, CONVERSATION_FLOOD_MESSAGES="3")
    make_world(app)
    client = app.test_client()
    say(client, pusher, ALICE, "人工")
    answers = [say(client, pusher, ALICE, f"第{n}条") for n in range(8)]
    assert answers[:3] == ["", "", ""]
    assert "太快" in answers[3] and answers[4:] == ["", "", "", ""]  # told once a minute
    clock.advance(minutes=2)
    assert say(client, pusher, ALICE, "过了一会儿") == ""
    with app.app_context():
        messages = [m for m in conversation_of(ALICE).messages if m.author == "customer"]
        assert [m.body for m in messages] == [f"第{n}条" for n in range(8)] + ["过了一会儿"]
        assert [m.throttled for m in messages] == [False] * 3 + [True] * 5 + [False]


# -- staff replies ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, fragment", [
    ("", "请输入"),
    ("   \n ", "请输入"),
    ("好" * 601, "最多 600 字"),
    ("请看 ]]> 这里", "]]>"),
    ('<a href="https://evil.example.com">点我</a>', "HTML"),
    ("请访问 https://evil.example.com/login 办理", "evil.example.com"),
    ("请访问 www.evil.example.com 办理", "www.evil.example.com"),
])
def test_staff_replies_that_do_not_fit_are_refused_and_nothing_is_stored(world_app, pusher, text, fragment):
    app, world = world_app
    say(app.test_client(), pusher, ALICE, "人工")
    with app.app_context():
        conversation = conversation_of(ALICE)
        before = len(conversation.messages)
        with pytest.raises(service.ConversationRefused) as refused:
            service.reply(world.staff(world.east), conversation, text)
        db.session.rollback()
        assert refused.value.field == "body" and fragment in str(refused.value.message)
        assert len(conversation_of(ALICE).messages) == before and notices() == []


def test_a_reply_takes_the_conversation_goes_to_the_outbox_once_and_is_audited(world_app, pusher, clock):
    app, world = world_app
    say(app.test_client(), pusher, ALICE, "人工")
    link = app.config["PUBLIC_BASE_URL"] + "/h5/branches"
    with app.app_context():
        conversation = conversation_of(ALICE)
        clock.advance(minutes=3)
        message = service.reply(world.staff(world.east), conversation, f"您好，网点地址见 {link}\n手机 13800138001")
        conversation = conversation_of(ALICE)
        assert conversation.assignee_id == world.east and conversation.unanswered == 0
        assert conversation.first_response_at == clock.at and conversation.waiting_since is None
        assert "13800138001" not in message.body  # stored masked
        (notice,) = notices()
        assert notice["kind"] == "reply" and notice["body"] == message.body and notice["openid"] == ALICE
        assert db.session.scalar(select(Notice.source_txn_id).where(Notice.topic == TOPIC_NAME)) == str(message.id)
        actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "conversation")))
        assert actions == ["reply"]


def test_take_transfer_close_and_the_state_rules(world_app, pusher):
    app, world = world_app
    say(app.test_client(), pusher, ALICE, "人工")
    with app.app_context():
        conversation = conversation_of(ALICE)
        service.take(world.staff(world.east), conversation)
        assert conversation_of(ALICE).assignee_id == world.east
        service.transfer(world.staff(world.east), conversation_of(ALICE), f"staff:{world.west}")
        conversation = conversation_of(ALICE)
        assert (conversation.assignee_id, conversation.branch_code) == (world.west, "0201")
        with pytest.raises(service.ConversationNotFound):  # no longer the east branch's
            service.staff_conversation(world.staff(world.east), conversation.id)
        service.transfer(world.staff(world.west), conversation, "branch:0101")
        conversation = conversation_of(ALICE)
        assert (conversation.assignee_id, conversation.branch_code) == (None, "0101")
        with pytest.raises(service.ConversationRefused):
            service.transfer(world.staff(world.east), conversation, "branch:9999")
        db.session.rollback()
        service.close(world.staff(world.east), conversation_of(ALICE))
        with pytest.raises(service.ConversationStateRefused):
            service.reply(world.staff(world.east), conversation_of(ALICE), "还在吗")
        actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "conversation")
                                          .order_by(AuditLog.id)))
        assert actions == ["take", "transfer", "transfer", "close"]


def test_handoff_to_wechat_customer_service_when_configured(make_app, pusher, clock):
    app = make_app(**CONFIG, CONVERSATION_HANDOFF="wechat")
    make_world(app)
    _response, plain = push(app.test_client(), WeChatPusher.from_config(app.config),
                            text_message(ALICE, "人工", next_msg_id()))
    assert reply_field(plain, "MsgType") == "transfer_customer_service"
    with app.app_context():
        assert db.session.scalar(select(Conversation.id)) is None


def test_prune_and_export(world_app, pusher, clock):
    app, world = world_app
    say(app.test_client(), pusher, ALICE, "人工")
    say(app.test_client(), pusher, ALICE, "=HYPERLINK(\"x\")")
    with app.app_context():
        conversation = conversation_of(ALICE)
        service.reply(world.staff(world.east), conversation, "好的")
        text = service.export_csv([conversation_of(ALICE)])
        assert ALICE not in text and "'=HYPERLINK" in text and "好的" in text
        service.close(world.staff(world.east), conversation_of(ALICE))
        clock.advance(days=app.config["CONVERSATION_RETENTION_DAYS"] - 1)
        assert service.prune() == 0
        clock.advance(days=2)
        assert service.prune() == 1
        assert db.session.scalar(select(ConversationMessage.id)) is None
