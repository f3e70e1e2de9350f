"""The router knows without a query whether a sender has an open conversation (features/conversations/open_set.py):
a change committed in this process is seen by the very next message, one of another worker within REFRESH, and a
conversation closed elsewhere is never joined."""

import pytest

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.conversations import open_set as open_sets
from {{ cookiecutter.bank_slug }}.features.conversations import service
from {{ cookiecutter.bank_slug }}.features.conversations.models import CLOSED, OPEN

from .support import ALICE, CONFIG, Clock, conversation_of, make_world, say


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", clock)
    return clock


@pytest.fixture
def workers(make_app, clock):
    """Two apps on one database, as two gunicorn workers are."""
    first = make_app(**CONFIG)
    make_world(first)
    return first, make_app(**CONFIG)


def customer_bodies(app, openid):
    with app.app_context():
        conversation = conversation_of(openid)
        return [m.body for m in conversation.messages if m.author == "customer"] if conversation else None


def test_opened_here_the_very_next_message_joins_it(workers):
    app, _ = workers
    client = app.test_client()
    assert "回复以下关键词" in say(client, None, ALICE, "帮助")  # the set is read: nobody in it
    say(client, None, ALICE, "人工")
    assert say(client, None, ALICE, "帮助") == ""  # joined, not answered with the help list
    assert customer_bodies(app, ALICE) == ["帮助"]


def test_opened_by_another_worker_it_is_joined_once_the_set_is_read_again(workers):
    first, second = workers
    assert "回复以下关键词" in say(second.test_client(), None, ALICE, "帮助")  # the second worker has read its set
    say(first.test_client(), None, ALICE, "人工")
    cached = open_sets.open_set(second)
    assert ALICE not in cached._openids  # what the second worker read before the conversation existed
    cached._read_at -= open_sets.REFRESH  # REFRESH later
    assert say(second.test_client(), None, ALICE, "余额") == ""
    assert customer_bodies(first, ALICE) == ["余额"]


def test_closed_by_another_worker_it_is_never_joined(workers):
    first, second = workers
    say(first.test_client(), None, ALICE, "人工")
    open_sets.open_set(second).changed()
    say(second.test_client(), None, ALICE, "你好")  # joins: the second worker's set now has Alice
    assert ALICE in open_sets.open_set(second)._openids
    assert "已结束" in say(first.test_client(), None, ALICE, "结束")
    with first.app_context():
        assert conversation_of(ALICE).status == CLOSED
    # the second worker's set still names Alice, but a member is looked up: routed as usual
    assert "回复以下关键词" in say(second.test_client(), None, ALICE, "帮助")
    assert customer_bodies(first, ALICE) == ["你好"]  # 结束 closes it, 帮助 did not join it


def test_a_rolled_back_change_does_not_drop_the_set(workers):
    app, _ = workers
    say(app.test_client(), None, ALICE, "帮助")
    cached = open_sets.open_set(app)
    read_at = cached._read_at
    with app.app_context():
        conversation = service.Conversation(openid="oRolledBack", status=OPEN)
        db.session.add(conversation)
        db.session.flush()
        db.session.rollback()
    assert cached._read_at == read_at
