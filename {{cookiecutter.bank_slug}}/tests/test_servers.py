"""The service under the Flask dev server and under gunicorn with several workers: WeChat's
retries of one message, arriving at once at different workers, get one reply and one side effect."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message
from {{ cookiecutter.bank_slug }}.wechat.models import FollowEvent, InboundMessage

from .conftest import make_config
from .helpers import free_port

pytestmark = pytest.mark.heavy

PACKAGE = "{{ cookiecutter.bank_slug }}"
PROJECT = Path(__file__).resolve().parent.parent
RETRIES = 16



def _wait_healthy(base: str, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become healthy")


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _server_command(kind: str, port: int) -> list[str]:
    if kind == "flask":
        return [sys.executable, "-m", "flask", "--app", PACKAGE, "run", "--port", str(port), "--with-threads"]
    return [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--workers", "3", "--threads", "4",
            "--bind", f"127.0.0.1:{port}", f"{PACKAGE}.wsgi:app"]


def _run_retry_storm(kind: str, database_url: str, mode: str):
    config = {k: str(v) for k, v in make_config(database_url, WECHAT_ENCRYPT_MODE=mode).items()}
    port = free_port()
    env = dict(os.environ, **config, PYTHONPATH=str(PROJECT))
    process = subprocess.Popen(_server_command(kind, port), cwd=PROJECT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        pusher = WeChatPusher(config["WECHAT_TOKEN"], config["WECHAT_ENCODING_AES_KEY"], config["WECHAT_APP_ID"], mode)
        xml = event_message("o-storm", "subscribe", create_time=int(time.time()))

        def deliver(_):
            signed = pusher.sign(xml)  # each retry has its own nonce and signature, as WeChat's do
            response = requests.post(base + "/wechat", params=signed.query, data=signed.body.encode(), timeout=10)
            return response.status_code, pusher.open_reply(response.text, signed.query)

        with ThreadPoolExecutor(RETRIES) as pool:
            results = list(pool.map(deliver, range(RETRIES)))
    finally:
        process.terminate()
        process.wait(timeout=20)
    return results


def _counts(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        counts = (conn.scalar(select(func.count()).select_from(FollowEvent)),
                  conn.scalar(select(func.count()).select_from(InboundMessage)))
    engine.dispose()
    return counts


def _assert_one_reply_one_effect(results, database_url):
    assert all(status == 200 for status, _ in results), results
    replies = {reply for _, reply in results if reply}
    contents = {r.split("<Content><![CDATA[")[1].split("]]>")[0] for r in replies}
    assert len(contents) == 1 and "欢迎关注" in contents.pop()
    assert _counts(database_url) == (1, 1)


@pytest.mark.postgres
def test_gunicorn_workers_deduplicate_retries_on_postgresql(postgres_url):
    results = _run_retry_storm("gunicorn", postgres_url, "safe")
    _assert_one_reply_one_effect(results, postgres_url)


def test_gunicorn_workers_deduplicate_retries_on_sqlite(sqlite_url):
    results = _run_retry_storm("gunicorn", sqlite_url, "compat")
    _assert_one_reply_one_effect(results, sqlite_url)


def test_flask_dev_server_answers_and_deduplicates(sqlite_url):
    results = _run_retry_storm("flask", sqlite_url, "plain")
    _assert_one_reply_one_effect(results, sqlite_url)
