"""What /wechat writes behind its answer (wechat/behind.py), the one-parse message builder, and SQLite's writers of
several processes queueing on the lock file (db.py)."""

import multiprocessing
import threading
import time
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from wechatpy import parse_message

from {{ cookiecutter.bank_slug }}.db import _writer_queue, write_transaction
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat import behind, inbound, window
from {{ cookiecutter.bank_slug }}.wechat.models import Interaction

from ..helpers import next_msg_id, push

OPENID = "oBehind000000000000000000001"


def _row(app, openid=OPENID):
    with app.app_context():
        with db.engine.connect() as connection:  # not through behind: what is in the table now
            return connection.execute(Interaction.__table__.select().where(
                Interaction.__table__.c.openid == openid)).first()


def test_the_window_a_message_opens_is_queued_and_every_reader_here_sees_it(make_app):
    app = make_app()
    push(app.test_client(), WeChatPusher.from_config(app.config), text_message(OPENID, "帮助", next_msg_id()))
    with app.app_context():
        queue = behind.behind(db.engine)
        queue._wake.clear()
        pending = queue.pending(window.UPSERTS[window.MESSAGE], OPENID)
        state = window.window_state(db.session.connection(), OPENID, utcnow())  # a reader: flushes first
    assert pending is not None or _row(app) is not None  # queued, or the writer thread was quicker
    assert state["message_left"] == window.MESSAGE_QUOTA
    assert _row(app).message_used == 0


def test_the_writer_thread_writes_the_queue_by_itself(make_app):
    app = make_app()
    push(app.test_client(), WeChatPusher.from_config(app.config), text_message(OPENID, "帮助", next_msg_id()))
    for _ in range(200):  # no reader, no flush: the writer thread alone (INTERVAL is 50 ms)
        if _row(app) is not None:
            break
        time.sleep(0.05)
    assert _row(app) is not None and _row(app).last_at is not None


def test_queued_writes_of_one_openid_coalesce_and_an_older_one_never_moves_a_window_back(make_app):
    app = make_app()
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        engine = db.engine
        window.queue_interaction(engine, OPENID, now - timedelta(minutes=5), window.MESSAGE)
        window.queue_interaction(engine, OPENID, now, window.MESSAGE)  # replaces the queued one
        queue = behind.behind(engine)
        assert queue.flush() in (0, 1)  # one write for the openid (0: the writer thread took it first)
        assert _row(app).last_at.replace(tzinfo=None) == now.replace(tzinfo=None)
        window.queue_interaction(engine, OPENID, now - timedelta(minutes=1), window.MESSAGE)  # another process's, late
        behind.flush(engine)
    assert _row(app).last_at.replace(tzinfo=None) == now.replace(tzinfo=None)


def test_a_use_counted_after_a_queued_window_is_not_undone_by_it(make_app):
    app = make_app()
    with app.app_context():
        window.queue_interaction(db.engine, OPENID, utcnow(), window.MESSAGE)
        window.use_window(db.engine, OPENID)  # flushes the queued window first, then counts
        behind.flush(db.engine)
        state = window.window_state(db.session.connection(), OPENID, utcnow())
    assert state["message_left"] == window.MESSAGE_QUOTA - 1


def test_a_reader_waits_for_a_flush_the_writer_thread_is_in_the_middle_of(make_app):
    app = make_app()
    with app.app_context():
        engine = db.engine
        queue = behind.behind(engine)
        slow_write, writing = queue._writer, threading.Event()

        def writer(target, groups):
            writing.set()
            time.sleep(0.3)  # the batch is out of the queue, not in the table yet
            slow_write(target, groups)

        queue._writer = writer
        window.queue_interaction(engine, OPENID, utcnow(), window.MESSAGE)
        thread = threading.Thread(target=queue.flush)
        thread.start()
        assert writing.wait(5)
        state = window.window_state(db.session.connection(), OPENID, utcnow())
        thread.join()
    assert state["message_left"] == window.MESSAGE_QUOTA


def test_a_failing_flush_is_logged_and_dropped(make_app, caplog):
    app = make_app()
    with app.app_context():
        queue = behind.behind(db.engine)
        queue.add(text("INSERT INTO no_such_table (x) VALUES (:x)"), "k", {"x": 1})
        assert queue.flush() == 1
        assert queue.flush() == 0  # dropped, not retried forever
    assert "could not record 1 trailing writes" in caplog.text


# -- one parse per layer ---------------------------------------------------------------------------------------
_names = st.sampled_from(["Content", "MsgId", "PicUrl", "MediaId", "Format", "Recognition", "Location_X",
                          "Label", "Url", "Title", "Description", "Extra", "Empty"])
_values = st.one_of(st.just(""), st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12))


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(max_examples=150, deadline=None)
@given(msg_type=st.sampled_from(["text", "image", "voice", "video", "shortvideo", "location", "link", "weird",
                                 "event", "device_text"]),
       fields=st.dictionaries(_names, _values, max_size=6), spaced=st.booleans())
def test_a_flat_message_is_built_as_wechatpy_builds_it(msg_type, fields, spaced):
    gap = "\n  " if spaced else ""
    body = "".join(f"{gap}<{name}>{_escape(value)}</{name}>" for name, value in fields.items())
    xml = (f"<xml>{gap}<ToUserName>gh_1</ToUserName>{gap}<FromUserName>o1</FromUserName>{gap}"
           f"<CreateTime>1700000000</CreateTime>{gap}<MsgType>{msg_type}</MsgType>{body}{gap}</xml>")
    try:
        expected = parse_message(xml)
    except Exception:  # wechatpy cannot read it (an event without Event): neither path may build one
        expected = None
    flat = inbound._flat_message(inbound.check_xml(xml))
    if flat is None:  # left to parse_message (events, device events)
        assert msg_type in ("event", "device_text")
        return
    assert expected is not None
    assert type(flat) is type(expected) and flat._data == dict(expected._data)


# -- SQLite's writers of several processes --------------------------------------------------------------------
def _write_as_another_process(url: str, done) -> None:
    engine = create_engine(url)

    def work(connection):
        connection.exec_driver_sql("INSERT INTO writers (who) VALUES ('child')")

    try:
        write_transaction(engine, work)
        done.put("written")
    except Exception as exc:
        done.put(type(exc).__name__)


def test_sqlite_writers_of_another_process_queue_on_the_lock_file(tmp_path):
    url = f"sqlite:///{tmp_path}/writers.db"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.exec_driver_sql("CREATE TABLE writers (id INTEGER PRIMARY KEY, who TEXT)")
    context = multiprocessing.get_context("spawn")
    done = context.Queue()
    with _writer_queue(engine):  # this process is the writer now, though SQLite itself is not locked yet
        child = context.Process(target=_write_as_another_process, args=(url, done))
        child.start()
        time.sleep(1.5)  # the child has long started: without the lock file it would have written by now
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("INSERT INTO writers (who) VALUES ('parent')")
            connection.commit()
    child.join(30)
    assert done.get(timeout=5) == "written"
    with engine.connect() as connection:
        assert [r[0] for r in connection.exec_driver_sql("SELECT who FROM writers ORDER BY id")] == ["parent", "child"]
    assert (tmp_path / "writers.db-writer.lock").exists()
