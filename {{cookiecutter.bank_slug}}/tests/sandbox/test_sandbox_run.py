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
    assert seen["menu"]["button"][1]["sub_button"][0]["url"] == f"http://127.0.0.1:{port}/h5/products"
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


def test_sandbox_run_delivers_a_transfers_alert_and_prints_fresh_demo_logins(make_app, monkeypatch):
    """The dispatcher runs inside `sandbox run`: a transfer's 动账提醒 reaches the mock as a template message
    for the payer; the demo staff logins printed work on the admin panel, and change every run."""
    import re
    import time

    from ..features.alerts.support import bind, transfer
    from ..ledger_helpers import seed

    app = make_app(ADMIN_PANEL_ENABLED="1")
    accounts = seed(app)
    payer = sandbox_run.DEMO_FOLLOWERS[0][0]
    bind(app, payer, accounts[0].account_id)
    port, mock_port = free_port(), free_port()
    seen = {}

    def reported():  # the report reaches the alert after the mock's push returns: wait for it, not the push
        from {{ cookiecutter.bank_slug }}.extensions import db
        from {{ cookiecutter.bank_slug }}.features.alerts.models import Alert

        with app.app_context():
            return db.session.query(Alert.id).filter(Alert.delivery_status.is_not(None)).count()

    def transfer_and_wait(servers):
        transfer(app, accounts[0], accounts[2], 12_345)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (seen.get("alerts") and seen.get("reports") and reported()):
            records = requests.get(f"http://127.0.0.1:{mock_port}/_mock/records",
                                   params={"kind": "template", "openid": payer}, timeout=5).json()["records"]
            seen["alerts"] = records
            seen["reports"] = requests.get(f"http://127.0.0.1:{mock_port}/_mock/template_jobs",
                                           timeout=5).json()["pushes"]
            seen["mass"] = requests.get(f"http://127.0.0.1:{mock_port}/_mock/mass_jobs", timeout=5).json()
            time.sleep(0.2)
        raise KeyboardInterrupt

    monkeypatch.setattr(sandbox_run, "wait_until_interrupted", transfer_and_wait)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sandbox", "run", "--port", str(port), "--mock-port", str(mock_port)])
    assert result.exit_code == 0, result.output
    assert seen["alerts"], "the transfer's alert never reached the mock"
    assert seen["reports"], "the mock pushed no TEMPLATESENDJOBFINISH back"  # as WeChat does after a send
    assert seen["mass"]["auto_finish"] == "send success"  # and MASSSENDJOBFINISH after each 群发
    from {{ cookiecutter.bank_slug }}.extensions import db
    from {{ cookiecutter.bank_slug }}.features.alerts.models import Alert

    with app.app_context():  # ...and the service wrote the report on the alert
        reported = db.session.query(Alert.delivery_status).filter(Alert.delivery_status.is_not(None)).all()
    assert {status for (status,) in reported} == {"success"}, reported
    assert f"http://127.0.0.1:{port}/admin/" in result.output
    logins = dict(re.findall(r"^\s+(demo_\w+) / (\S+)", result.output, re.M))
    assert set(logins) == {"demo_admin", "demo_checker", "demo_branch"}
    from ..admin.conftest import csrf_of

    client = app.test_client()
    response = client.post("/admin/login", data={"csrf_token": csrf_of(client), "username": "demo_admin",
                                                 "password": logins["demo_admin"]})
    assert response.status_code == 303
    again = runner.invoke(args=["sandbox", "run", "--port", str(free_port()), "--mock-port", str(free_port())])
    assert dict(re.findall(r"^\s+(demo_\w+) / (\S+)", again.output, re.M))["demo_admin"] != logins["demo_admin"]


def test_sandbox_run_makes_no_demo_staff_for_a_live_configuration(make_app, monkeypatch):
    from ..helpers import PRODUCTION_SMS

    live = make_app(WECHAT_SANDBOX="0", WECHAT_APP_SECRET="a-real-looking-secret", **PRODUCTION_SMS)
    monkeypatch.setattr(sandbox_run, "wait_until_interrupted", lambda servers: (_ for _ in ()).throw(KeyboardInterrupt))
    result = live.test_cli_runner().invoke(args=["sandbox", "run", "--port", str(free_port()),
                                                 "--mock-port", str(free_port())])
    assert "demo_admin" not in result.output and "不创建演示账号" in result.output
    from {{ cookiecutter.bank_slug }}.admin.models import StaffUser

    with live.app_context():
        assert db.session.execute(select(StaffUser)).first() is None
