"""`flask sandbox run`: both servers in one process, the menu pushed, demo followers seeded, and PUBLIC_BASE_URL."""

import socket

import pytest
import requests
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox import run as sandbox_run
from {{ cookiecutter.bank_slug }}.settings import ConfigError, load_config
from {{ cookiecutter.bank_slug }}.wechat.models import Follower

from ..conftest import make_config
from ..helpers import free_port


def test_sandbox_run_serves_both_pushes_the_menu_and_seeds_followers(app, monkeypatch):
    port, mock_port = free_port(), free_port()
    seen = {}

    def interrupt_once_up(servers):
        seen["health"] = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
        seen["simulator"] = requests.get(f"http://127.0.0.1:{mock_port}/simulator/", timeout=5).status_code
        seen["menu"] = requests.get(f"http://127.0.0.1:{mock_port}/_mock/menu", timeout=5).json()["menu"]
        seen["users"] = requests.get(f"http://127.0.0.1:{mock_port}/_mock/users", timeout=5).json()["users"]
        raise KeyboardInterrupt

    monkeypatch.setattr(sandbox_run, "wait_until_interrupted", interrupt_once_up)
    started = []

    def recording(*args, **kwargs):
        started.append(serve(*args, **kwargs))
        return started[-1]

    serve = sandbox_run.serve_in_background
    monkeypatch.setattr(sandbox_run, "serve_in_background", recording)
    result = app.test_cli_runner().invoke(args=["sandbox", "run", "--port", str(port), "--mock-port", str(mock_port)])
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{mock_port}/simulator/" in result.output and "微信模拟器" in result.output
    assert "已停止" in result.output
    assert seen["health"] == 200 and seen["simulator"] == 200
    assert seen["menu"]["button"][1]["url"] == f"http://127.0.0.1:{port}/h5/products"
    assert app.config["PUBLIC_BASE_URL"] == f"http://127.0.0.1:{port}"
    following = {u["openid"] for u in seen["users"] if u["subscribed"]}
    assert following == {openid for openid, _, follows in sandbox_run.DEMO_FOLLOWERS if follows}
    with app.app_context():
        recorded = db.session.execute(select(Follower.openid).where(Follower.subscribed)).scalars().all()
    assert set(recorded) == following
    # both servers are closed again (checked on the servers themselves: on a busy machine another
    # process may bind the freed port at once, so probing the port proves nothing)
    assert len(started) == 2
    for server, thread in started:
        thread.join(timeout=5)
        assert not thread.is_alive() and server.socket.fileno() == -1


def test_sandbox_run_refuses_a_busy_port(app):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["sandbox", "run", "--port", str(port),
                                                    "--mock-port", str(free_port())])
    assert result.exit_code == 1 and f"端口 {port} 无法使用" in result.output


def test_public_base_url_defaults_to_the_public_domain():
    config = load_config(make_config("sqlite://", PUBLIC_DOMAIN="wx.bank.example.cn"))
    assert config["PUBLIC_BASE_URL"] == "https://wx.bank.example.cn"
    config = load_config(make_config("sqlite://", PUBLIC_BASE_URL="http://127.0.0.1:5000/"))
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    for bad in ("wx.bank.example.cn", "ftp://x.cn", "https://x.cn/?a=1"):
        with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
            load_config(make_config("sqlite://", PUBLIC_BASE_URL=bad))
