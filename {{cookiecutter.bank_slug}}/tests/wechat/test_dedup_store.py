"""The de-dup store behind /wechat: Redis when REDIS_URL is set (shared by every worker and server), the
database otherwise; and the inline handler that overran the budget (late reply, then a handler thread)."""

import threading
import time

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.wechat import window
from {{ cookiecutter.bank_slug }}.wechat.dedup import DatabaseStore, RedisStore
from {{ cookiecutter.bank_slug }}.wechat.models import InboundMessage

from ..helpers import next_msg_id, push, reply_field, settle


def _counting(app, keyword: str, calls: list, **kwargs):
    def handler(message):
        calls.append(message.id)
        return f"第 {len(calls)} 次"

    app.extensions["wechat_router"].text(keyword, **kwargs)(handler)
    return handler


def _rows(app) -> int:
    settle(app)
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InboundMessage))


@pytest.fixture
def redis_apps(make_app, redis_url):
    """Two apps on one Redis, as two gunicorn workers (or two servers) are."""
    import redis

    first = make_app(REDIS_URL=redis_url, WECHAT_ENCRYPT_MODE="safe")
    same = {name: first.config[name] for name in ("WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "WECHAT_APP_ID")}
    apps = [first, make_app(REDIS_URL=redis_url, WECHAT_ENCRYPT_MODE="safe", **same)]
    yield apps
    client = redis.Redis.from_url(redis_url)
    for name in client.scan_iter(f"wechat:inbound:{apps[0].config['WECHAT_APP_ID']}:*"):
        client.delete(name)


def test_redis_retry_in_another_worker_gets_the_stored_reply_and_no_second_run(redis_apps):
    first, second = redis_apps
    calls = []
    for app in redis_apps:
        _counting(app, "计数", calls)
    assert isinstance(first.extensions["wechat_processor"].store, RedisStore)
    pusher = WeChatPusher.from_config(first.config)
    xml = text_message("o-redis", "计数", next_msg_id())
    _, reply = push(first.test_client(), pusher, xml)
    _, again = push(second.test_client(), pusher, xml)  # WeChat's retry, landing on the other worker
    assert reply_field(reply, "Content") == "第 1 次" == reply_field(again, "Content")
    assert len(calls) == 1
    assert _rows(first) == 0  # the de-dup record lives in Redis only
    with first.app_context():  # the customer-service window is still recorded in the database
        state = window.window_state(db.session.connection(), "o-redis", window.utcnow())
    assert state["message_left"] == window.MESSAGE_QUOTA
    other = text_message("o-redis", "计数", next_msg_id())  # a new message is processed
    _, third = push(second.test_client(), pusher, other)
    assert reply_field(third, "Content") == "第 2 次"


def test_redis_retry_of_a_late_reply_gets_success(redis_apps):
    first, second = redis_apps
    release, calls, delivered = threading.Event(), [], []

    def slow(message):
        calls.append(message.id)
        release.wait(10)
        return "迟到的回复"

    for app in redis_apps:
        app.config["WECHAT_REPLY_BUDGET_SECONDS"] = 0.05
        app.extensions["wechat_router"].text("慢", slow=True)(slow)
        app.extensions["wechat_processor"].late_delivery = lambda openid, xml: delivered.append(xml)
    pusher = WeChatPusher.from_config(first.config)
    xml = text_message("o-redis-late", "慢", next_msg_id())
    response, _ = push(first.test_client(), pusher, xml)
    assert response.get_data(as_text=True) == "success"
    retry, _ = push(second.test_client(), pusher, xml)  # still processing: nothing to say yet
    assert retry.get_data(as_text=True) == "success"
    release.set()
    first.extensions["wechat_processor"].executor.shutdown(wait=True)
    assert len(delivered) == 1 and reply_field(delivered[0], "Content") == "迟到的回复"
    last, _ = push(second.test_client(), pusher, xml)
    assert last.get_data(as_text=True) == "success" and len(calls) == 1 and len(delivered) == 1


def test_without_redis_the_database_holds_the_record(make_app):
    app = make_app(WECHAT_ENCRYPT_MODE="safe")
    calls = []
    _counting(app, "计数", calls)
    assert isinstance(app.extensions["wechat_processor"].store, DatabaseStore)
    pusher = WeChatPusher.from_config(app.config)
    xml = text_message("o-db", "计数", next_msg_id())
    _, reply = push(app.test_client(), pusher, xml)
    _, again = push(app.test_client(), pusher, xml)
    assert reply_field(reply, "Content") == reply_field(again, "Content") == "第 1 次"
    assert len(calls) == 1 and _rows(app) == 1  # _rows settles what the answers queued
    with app.app_context():
        row = db.session.execute(select(InboundMessage.status, InboundMessage.reply_xml)).one()
        state = window.window_state(db.session.connection(), "o-db", window.utcnow())
    assert row.status == "replied" and "第 1 次" in row.reply_xml
    assert state["message_left"] == window.MESSAGE_QUOTA  # recorded in the claim's transaction


def test_inline_handler_that_overran_replies_late_and_then_runs_on_a_handler_thread(make_app):
    app = make_app(WECHAT_REPLY_BUDGET_SECONDS="0.05", WECHAT_ENCRYPT_MODE="safe")
    release, calls, delivered = threading.Event(), [], []

    def sometimes_slow(message):
        calls.append(message.id)
        if len(calls) == 1:
            time.sleep(0.2)  # overruns the 0.05 s budget on the request thread
        else:
            release.wait(10)  # would hold the request if it still ran inline
        return f"回复 {len(calls)}"

    router = app.extensions["wechat_router"]
    router.text("偶尔慢")(sometimes_slow)
    app.extensions["wechat_processor"].late_delivery = lambda openid, xml: delivered.append(xml)
    pusher = WeChatPusher.from_config(app.config)
    first, _ = push(app.test_client(), pusher, text_message("o-inline", "偶尔慢", next_msg_id()))
    assert first.get_data(as_text=True) == "success"
    assert [reply_field(x, "Content") for x in delivered] == ["回复 1"]
    assert router.is_slow(sometimes_slow)
    second, _ = push(app.test_client(), pusher, text_message("o-inline", "偶尔慢", next_msg_id()))
    assert second.get_data(as_text=True) == "success" and not release.is_set()  # answered while it still runs
    release.set()
    app.extensions["wechat_processor"].executor.shutdown(wait=True)
    assert [reply_field(x, "Content") for x in delivered] == ["回复 1", "回复 2"]
    settle(app)
    with app.app_context():
        statuses = db.session.scalars(select(InboundMessage.status)).all()
    assert statuses == ["late", "late"]


def test_redis_reply_is_stored_behind_the_answer_and_seen_at_once_in_this_process(redis_apps):
    import redis

    from {{ cookiecutter.bank_slug }}.wechat import behind
    from {{ cookiecutter.bank_slug }}.wechat.dedup import DONE_TTL, PROCESSING

    first, _ = redis_apps
    calls = []
    _counting(first, "计数", calls)
    pusher = WeChatPusher.from_config(first.config)
    xml = text_message("o-redis-behind", "计数", next_msg_id())
    store = first.extensions["wechat_processor"].store
    with behind.behind(store.redis, None)._flushing:  # hold the writer thread: the reply stays queued
        _, reply = push(first.test_client(), pusher, xml)
        names = list(redis.Redis.from_url(first.config["REDIS_URL"], decode_responses=True)
                     .scan_iter(f"{store.prefix}*"))
        assert len(names) == 1
        client = redis.Redis.from_url(first.config["REDIS_URL"], decode_responses=True)
        assert client.get(names[0]) == PROCESSING  # only the claim is in Redis so far
        _, again = push(first.test_client(), pusher, xml)  # a retry in this process sees the queued reply
        assert reply_field(again, "Content") == reply_field(reply, "Content") == "第 1 次"
    store.flush()
    status, _, stored = client.get(names[0]).partition(":")
    assert status == "replied" and "第 1 次" in stored
    assert DONE_TTL.total_seconds() - 60 < client.ttl(names[0]) <= DONE_TTL.total_seconds()
    assert len(calls) == 1
