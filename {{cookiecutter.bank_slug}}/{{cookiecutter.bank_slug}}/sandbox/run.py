"""`flask --app <package> sandbox run`: the service, the mock WeChat API and the simulator in one terminal.

The service listens on 127.0.0.1:5000 and the mock (with the simulator) on 127.0.0.1:5001, each on
its own thread of this one process, and the alert dispatcher (`flask alerts run`) runs on a third, so a
transfer's 动账提醒 reaches the simulator within seconds; Ctrl-C stops all three. Before the URLs are
printed the menu is pushed to the mock, demo followers are seeded (followed through a real signed push)
and, when the configuration itself is the sandbox's, a demo head-office admin and a branch operator get a
fresh password for this run, printed with the admin panel's URL.
"""

import logging
import secrets
import signal
import threading
import time
from urllib.parse import urlsplit

import click
import requests
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .. import settings
from ..admin import audit
from ..admin.models import ROLE_BRANCH_OPERATOR, ROLE_HEAD_OFFICE, StaffUser
from ..core_banking.models import Branch
from ..extensions import db
from ..features.menu.service import menu_to_publish
from ..outbox.dispatcher import Dispatcher
from ..web import security as web_security
from ..wechat.client import get_client
from ..wechat.menu import MenuError
from .mock_api import create_mock_app
from .mock_api.settings import MockSettings
from .simulator.relay import RelayError, relay
from .wechat_push import event_message

log = logging.getLogger(__name__)

# (openid, nickname, follows at start): fixed openids, so the service's records carry over between runs.
DEMO_FOLLOWERS = (
    ("oSandboxDemoFollower00000001", "张伟", True),
    ("oSandboxDemoFollower00000002", "李娜", True),
    ("oSandboxDemoVisitor000000003", "新访客", False),
)
QUIET_PATHS = ("/_mock/records", "/_mock/menu", "/_mock/users")  # the simulator polls these
# (username, display name, role): the demo staff of `sandbox run`; the branch operator works at the first
# open branch (the demo data's 0001).
DEMO_STAFF = (
    ("demo_admin", "演示总行管理员", ROLE_HEAD_OFFICE),
    ("demo_checker", "演示复核员", ROLE_HEAD_OFFICE),  # the second head-office admin of 双人复核 (群发, menu)
    ("demo_branch", "演示网点操作员", ROLE_BRANCH_OPERATOR),
)


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's request log: no query strings (secrets, tokens, codes), no polling."""

    def log_request(self, code="-", size="-") -> None:
        path = urlsplit(self.path).path
        if not path.startswith(QUIET_PATHS):
            self.log("info", '"%s %s" %s %s', self.command, path, code, size)


def serve_in_background(app: Flask, host: str, port: int,
                        poll_interval: float = 0.1) -> tuple[BaseWSGIServer, threading.Thread]:
    """A threaded development server on its own daemon thread (port 0: any free port).

    `shutdown()` returns within `poll_interval` seconds.
    """
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(poll_interval,), name=f"serve-{server.port}",
                              daemon=True)
    thread.start()
    return server, thread


def point_at_sandbox(service: Flask, service_url: str, mock_url: str) -> None:
    """The service in sandbox mode whatever .env says: WeChat is the mock, links and OAuth2 on this machine
    (plain http, so the cookie flags follow the new PUBLIC_BASE_URL)."""
    settings.update(service, WECHAT_SANDBOX=True, WECHAT_SANDBOX_API_URL=mock_url, PUBLIC_BASE_URL=service_url)
    web_security.apply_cookie_flags(service)


def sandbox_mock_app(service: Flask, service_url: str) -> Flask:
    """The mock WeChat API (and simulator) playing WeChat for this service."""
    mock = create_mock_app(MockSettings.from_config(service.config, service_url=service_url))
    mock.config["SIMULATOR_ACCOUNT_NAME"] = service.config["BANK_SHORT_NAME"]
    mock.config["SIMULATOR_BRAND_COLOR"] = service.config["BRAND_COLOR"]
    return mock


def push_menu(service: Flask) -> str:
    """Publish the menu through the service's own WeChat client; a Chinese problem, or '' when done."""
    with service.app_context():
        try:
            get_client().menu.create(menu_to_publish(service.config).menu)
        except MenuError as exc:
            return "菜单不符合微信规则：" + "；".join(exc.problems)
        except WeChatClientException as exc:
            return f"模拟接口拒绝了菜单：{exc.errcode} {exc.errmsg}"
        except requests.RequestException as exc:
            return f"无法连接模拟接口：{type(exc).__name__}"
    return ""


def seed_followers(mock: Flask) -> list[str]:
    """Add the demo users to the mock; those who follow also follow the service (a signed subscribe push)."""
    state = mock.extensions["mock_wechat"]
    problems = []
    for openid, nickname, follows in DEMO_FOLLOWERS:
        if state.user(openid) is None:
            state.add_user(openid, nickname, subscribed=False)
        if not follows:
            continue
        try:
            relay(state.settings.service_url, state.settings.pusher(), event_message(openid, "subscribe"))
        except RelayError as exc:
            problems.append(f"{nickname}：{exc.reason}")
            continue
        state.set_subscribed(openid, True)
    return problems


def seed_demo_staff(service: Flask) -> list[tuple[str, str, str]]:
    """The demo staff accounts with a new random password each run: (username, password, role label).
    Only for a configuration that is the sandbox's own (refused for one that points at a real account)."""
    logins = []
    with service.app_context():
        branch = db.session.execute(
            select(Branch).where(Branch.closed_at.is_(None)).order_by(Branch.code)).scalars().first()
        for username, display_name, role in DEMO_STAFF:
            if role == ROLE_BRANCH_OPERATOR and branch is None:
                continue  # no branch yet (seed-demo not run): no operator
            password = secrets.token_urlsafe(9)  # 12 characters, never the same twice
            user = db.session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            created = user is None
            if created:
                user = StaffUser(username=username, display_name=display_name, role=role)
                db.session.add(user)
            user.role, user.active, user.failed_logins, user.locked_until = role, True, 0, None
            user.branch = branch if role == ROLE_BRANCH_OPERATOR else None
            user.set_password(password)
            db.session.flush()
            audit.record("create" if created else "reset_password", "staff_user", user.id, None,
                         {"username": username, "role": role, "branch_code": branch.code if user.branch else None},
                         staff=None, actor_username="(sandbox run)", commit=False)
            label = "总行管理员 head office" if role == ROLE_HEAD_OFFICE else f"网点操作员 branch {branch.code}"
            if username == "demo_checker":
                label = "总行管理员·复核 head office, reviews 群发/菜单 of the others"
            logins.append((username, password, label))
        db.session.commit()
    return logins


def start_dispatcher(service: Flask) -> tuple[threading.Event, threading.Thread]:
    """The alert dispatcher of `flask alerts run` on a daemon thread; set the event to stop it."""
    stop = threading.Event()

    def deliver() -> None:
        with service.app_context():
            dispatcher = Dispatcher(service)
            try:
                dispatcher.run(stop)
            except Exception:  # the demo goes on without alerts; the log says why
                log.exception("the sandbox's alert dispatcher stopped")
            finally:
                dispatcher.close()

    thread = threading.Thread(target=deliver, name="sandbox-alerts", daemon=True)
    thread.start()
    return stop, thread


def wait_until_interrupted(servers) -> None:
    while all(thread.is_alive() for _, thread in servers):
        time.sleep(0.5)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _echo_problem(problem: str) -> None:
    click.secho(f"  ! {problem}", fg="yellow", err=True)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address for both servers")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="The service's port")
@click.option("--mock-port", type=click.IntRange(1, 65535), default=5001, show_default=True,
              help="The mock WeChat API's and the simulator's port")
@with_appcontext
def run(host: str, port: int, mock_port: int) -> None:
    """Start the service, the mock WeChat API and the browser simulator together (Ctrl-C stops both)."""
    if host not in ("127.0.0.1", "localhost"):
        raise click.BadParameter("沙箱只监听本机地址 the sandbox listens on loopback only", param_hint="--host")
    service = current_app._get_current_object()
    service_url, mock_url = f"http://{host}:{port}", f"http://{host}:{mock_port}"
    own_sandbox = settings.of(service).wechat.sandbox  # before the run switches any configuration to the mock
    point_at_sandbox(service, service_url, mock_url)
    mock_app = sandbox_mock_app(service, service_url)
    servers, previous_sigterm, dispatcher = [], None, None
    try:
        for app, app_port in ((mock_app, mock_port), (service, port)):
            try:
                servers.append(serve_in_background(app, host, app_port))
            except (OSError, SystemExit):  # werkzeug exits when the port is taken
                raise click.ClickException(f"端口 {app_port} 无法使用 port {app_port} is not available") from None
        for problem in filter(None, [push_menu(service), *seed_followers(mock_app)]):
            _echo_problem(problem)
        dispatcher = start_dispatcher(service)
        # as WeChat does, the mock reports each template message's delivery back (TEMPLATESENDJOBFINISH)
        mock_app.extensions["mock_wechat"].template_jobs.auto_finish = "success"
        mock_app.extensions["mock_wechat"].mass_jobs.auto_finish = "send success"  # and each 群发's (MASSSENDJOBFINISH)
        logins = seed_demo_staff(service) if own_sandbox else []
        click.echo("")
        click.secho(f"  微信模拟器 Simulator:  {mock_url}/simulator/", bold=True)
        click.echo(f"  服务 Service:          {service_url}/h5/   (healthz: {service_url}/healthz)")
        click.echo(f"  模拟微信接口 Mock API: {mock_url}/_mock/stats")
        click.echo("  动账提醒 Alerts:        发送程序已在本进程中运行 the dispatcher runs in this process; "
                   "模拟接口回报送达结果 the mock reports delivery (TEMPLATESENDJOBFINISH)")
        if logins:
            click.echo(f"  管理后台 Admin panel:  {service_url}/admin/   （本次运行的演示账号 this run's demo logins）")
            for username, password, label in logins:
                click.echo(f"    {username} / {password}   {label}")
        elif not own_sandbox:
            click.echo("  管理后台：.env 不是沙箱配置，不创建演示账号 "
                       "(.env is not a sandbox configuration: no demo staff)")
        click.echo("  在浏览器中打开模拟器，按 Ctrl-C 停止。Open the simulator in a browser; Ctrl-C stops both.")
        click.echo("")
        if threading.current_thread() is threading.main_thread():  # `kill` stops it like Ctrl-C
            previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
        wait_until_interrupted(servers)
    except KeyboardInterrupt:
        click.echo("\n已停止 Stopped.")
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)
        if dispatcher is not None:
            dispatcher[0].set()
            dispatcher[1].join(timeout=10)
        for server, _ in servers:
            server.shutdown()
            server.server_close()
