"""The production stack on this machine, as docs/deployment.md lays it out: nginx (TLS, a self-signed
certificate, the site from deploy/) in front of two gunicorn instances (deploy/gunicorn.conf.py), the alert
dispatcher (`flask alerts run`), PostgreSQL (a scratch database), Redis (the shared WeChat token), the core
over the signed HTTP contract (its reference server around a ledger), the bank's SMS platform over the
gateway contract (its reference server), and the mock WeChat API standing in for WeChat.

One customer goes through nginx: follows the account, binds a card (the one-time code read from the SMS
platform), sees the balance, transfers, and gets the transfer-result template message (the mock received it
from the dispatcher). Then one gunicorn instance is killed and the customer carries on through the other.

Fails, not skips, under CI=true when nginx, PostgreSQL or Redis is missing."""

import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from flask_migrate import upgrade

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.sms import MOCK_TOKEN_HEADER, mock_control_token
from {{ cookiecutter.bank_slug }}.sms.gateway.wire import signed_headers

from .binding_support import LI, ZHANG, code_in
from .conftest import DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL, _in_ci, make_config, scratch_postgres_or_skip
from .helpers import free_port

pytestmark = [pytest.mark.heavy, pytest.mark.postgres]

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.bank_slug }}"
NGINX = "/usr/sbin/nginx"
OPENID = "oStackCustomer00000000000001"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
BINDING = re.compile(r'name="binding_id"[^>]*value="(\d+)"|<option value="(\d+)"')


def _missing(what: str) -> None:
    if _in_ci():
        pytest.fail(f"{what} (CI=true: the production-stack test must run)", pytrace=False)
    pytest.skip(what)


def _wait_for(url: str, process: subprocess.Popen, log: Path, ok=(200,), **kwargs) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: process exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2, **kwargs).status_code in ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not come up:\n{log.read_text()[-3000:]}")


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the master and its workers, as a crash would
        except ProcessLookupError:
            pass
        process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def nginx_site(https_port: int, http_port: int, tmp: Path) -> str:
    """deploy/nginx.conf.example with this machine's ports, certificate and log paths, proxying to the
    `wechat_bank` upstream (both gunicorn instances) instead of one address."""
    site = (PROJECT / "deploy" / "nginx.conf.example").read_text(encoding="utf-8")
    site = re.sub(r"^\s*listen \[::\]:\S+[^;]*;\n", "", site, flags=re.M)  # loopback IPv4 only here
    site = re.sub(r"listen (?:\S+:)?80(?: default_server)?;", f"listen 127.0.0.1:{http_port};", site)
    site = re.sub(r"listen (?:\S+:)?443 ssl([^;]*);", rf"listen 127.0.0.1:{https_port} ssl\1;", site)
    # The site as shipped in deploy/ was written for nginx >= 1.25 (`http2 on;`) and had log_format inside
    # server{}: Debian 12's nginx 1.22 refuses both. Until the deploy site is fixed (issue 14, part A) the test
    # adapts them; once fixed these two steps change nothing.
    site = re.sub(r"^\s*http2 on;\n", "", site, flags=re.M)
    formats = re.findall(r"^ +log_format .*;$", site, re.M)
    for line in formats:
        site = site.replace(line + "\n", "")
    site = "\n".join(line.strip() for line in formats) + "\n" + site
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp}/cert.pem;", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp}/key.pem;", site)
    site = re.sub(r"access_log\s+/\S+", f"access_log {tmp}/access.log", site)
    site = re.sub(r"error_log\s+/\S+", f"error_log {tmp}/nginx-error.log", site)
    site = re.sub(r"^upstream \S+ \{.*?^\}\n", "", site, flags=re.M | re.S)  # ours has both instances
    site = re.sub(r"proxy_pass http://[^;/]+;", "proxy_pass http://wechat_bank;", site)
    # On 443 `$host` is what the browser sent; on this test's port the port must stay in Host, or the CSRF
    # referrer check (Referer https://127.0.0.1:<port>/...) and the service's URLs would not match.
    site = site.replace("proxy_set_header Host $host;", "proxy_set_header Host $http_host;")
    assert "proxy_pass http://wechat_bank;" in site
    return site


OPEN, CLOSE = "{", "}"  # no doubled braces in this file: the template renders it with Jinja


def nginx_conf(tmp: Path, upstreams: list[int], site: str) -> str:
    servers = "".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=30s;\n" for port in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    client_body_temp_path {tmp}/client_body;\n    proxy_temp_path {tmp}/proxy;\n"
            f"    fastcgi_temp_path {tmp}/fastcgi;\n    uwsgi_temp_path {tmp}/uwsgi;\n    scgi_temp_path {tmp}/scgi;\n"
            f"    upstream wechat_bank {OPEN}\n{servers}    {CLOSE}\n{site}\n{CLOSE}\n")


class Customer:
    """One customer's phone: WeChat's web view (cookies) talking to nginx, and WeChat pushing for them."""

    def __init__(self, base: str, mock: str, config: dict, ca: str) -> None:
        self.base, self.mock, self.ca = base, mock, ca
        self.http = requests.Session()
        self.pusher = WeChatPusher(config["WECHAT_TOKEN"], config["WECHAT_ENCODING_AES_KEY"],
                                   config["WECHAT_APP_ID"], config["WECHAT_ENCRYPT_MODE"])

    def get(self, path: str, **kwargs):
        return self.http.get(self.base + path, allow_redirects=False, timeout=15, verify=self.ca, **kwargs)

    def post(self, path: str, data: dict):
        # A browser sends the page it posts from; Flask-WTF checks it on https (WTF_CSRF_SSL_STRICT).
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=15, verify=self.ca,
                              headers={"Referer": self.base + path})

    def follow(self) -> str:
        signed = self.pusher.sign(event_message(OPENID, "subscribe", create_time=int(time.time())))
        response = requests.post(self.base + "/wechat", params=signed.query, data=signed.body.encode(), timeout=15,
                                 verify=self.ca)
        assert response.status_code == 200, response.text
        return self.pusher.open_reply(response.text, signed.query)

    def log_in(self, path: str) -> None:
        start = self.get(path)
        assert start.status_code == 302, start.text
        authorize = urlsplit(start.headers["Location"])
        query = parse_qsl(authorize.query) + [("mock_openid", OPENID)]
        wechat = requests.get(f"{self.mock}{authorize.path}?{urlencode(query)}", allow_redirects=False, timeout=10)
        assert wechat.status_code == 302, wechat.text
        callback = urlsplit(wechat.headers["Location"])
        done = self.get(f"{callback.path}?{callback.query}")
        assert done.status_code == 302 and done.headers["Location"] == path, done.text

    def csrf(self, path: str) -> tuple[str, str]:
        page = self.get(path)
        assert page.status_code == 200, page.text
        return CSRF.search(page.text).group(1), page.text


def sms_code(gateway: str, secret: str, phone: str) -> str:
    path = f"/messages?phone={phone}"
    response = requests.get(gateway + path, headers=signed_headers(secret, "GET", path, b"", time.time()), timeout=5)
    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    assert messages and messages[-1]["template"] == "otp"
    return code_in(messages[-1]["text"])


def transfer(customer: Customer, binding_id: str, amount: str) -> str:
    csrf, page = customer.csrf("/h5/transfer")
    key = KEY.search(page).group(1)
    placed = customer.post("/h5/transfer", {
        "csrf_token": csrf, "idempotency_key": key, "binding_id": binding_id, "payee_number": LI.cards[0],
        "payee_name": LI.name, "payee_bank": "", "amount": amount, "memo": "stack"})
    assert placed.status_code == 303, placed.text
    if placed.headers["Location"] == f"/h5/transfer/warning/{key}":  # the first transfer to 李娜: the warning
        read = customer.post(f"/h5/transfer/warning/{key}", {"csrf_token": csrf, "understood": "1"})
        assert read.status_code == 303 and read.headers["Location"] == f"/h5/transfer/confirm/{key}", read.text
    done = customer.post(f"/h5/transfer/confirm/{key}", {"csrf_token": csrf, "pin": demo_data.DEMO_PIN})
    assert done.status_code == 303 and done.headers["Location"] == f"/h5/transfer/result/{key}", done.text
    result = customer.get(done.headers["Location"])
    assert "转账成功" in result.text, result.text
    return key


MOCK_HEADERS: dict = {}  # the mock's X-Mock-Token (sandbox/mock_api/guard.py), set by the test


def template_messages(mock: str) -> list[dict]:
    response = requests.get(f"{mock}/_mock/records", params={"kind": "template", "openid": OPENID}, timeout=5,
                            headers=MOCK_HEADERS)
    return response.json()["records"]


def wait_for_messages(mock: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = template_messages(mock)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"the mock got {len(template_messages(mock))} template messages, expected {count}")


def balance_yuan(customer: Customer) -> str:
    page = customer.get("/h5/balance")
    assert page.status_code == 200, page.text
    return page.text


@pytest.fixture
def stack_tools():
    if not Path(NGINX).exists() or not shutil.which("openssl"):
        _missing(f"{NGINX} or openssl is not installed")
    redis = pytest.importorskip("redis")
    redis_url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing(f"Redis unreachable at {redis_url}: {type(exc).__name__}")
    scratch = scratch_postgres_or_skip(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    url = scratch.create()
    yield url, redis_url
    scratch.drop()


def test_the_production_stack_serves_a_customer_and_survives_a_dead_instance(stack_tools, tmp_path):
    database_url, redis_url = stack_tools
    ports = {name: free_port() for name in ("https", "http", "web1", "web2", "core", "sms", "mock")}
    base, mock = f"https://127.0.0.1:{ports['https']}", f"http://127.0.0.1:{ports['mock']}"
    core_url, sms_url = f"http://127.0.0.1:{ports['core']}", f"http://127.0.0.1:{ports['sms']}"
    core_secret, sms_secret = secrets.token_hex(32), secrets.token_hex(32)
    config = make_config(
        database_url, PUBLIC_BASE_URL=base, PUBLIC_DOMAIN="127.0.0.1", TRUSTED_PROXIES="1", REDIS_URL=redis_url,
        WECHAT_SANDBOX_API_URL=mock, CORE_BANKING_ADAPTER="http", CORE_BANKING_URL=core_url,
        CORE_API_SECRET=core_secret, SMS_SENDER="gateway", SMS_GATEWAY_URL=sms_url, SMS_GATEWAY_SECRET=sms_secret,
        ALERT_POLL_SECONDS="0.2", LOG_LEVEL="INFO",
        # the encryption keys at rest, as the hook writes them into .env: every process gets the same ones (the
        # reference core reads them from the environment like the service)
        DATA_KEYS=f"stack:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        DATA_LOOKUP_KEY=base64.b64encode(secrets.token_bytes(32)).decode())
    config.pop("TESTING")
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    MOCK_HEADERS[MOCK_TOKEN_HEADER] = mock_control_token(config["SECRET_KEY"])
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {**os.environ, **{k: str(v) for k, v in config.items()}, "PYTHONPATH": str(PROJECT),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    flask = [sys.executable, "-m", "flask", "--app", PACKAGE]
    seeded = subprocess.run([*flask, "seed-demo"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    (tmp_path / "nginx.conf").write_text(nginx_conf(tmp_path, [ports["web1"], ports["web2"]],
                                                    nginx_site(ports["https"], ports["http"], tmp_path)))

    stack = Stack(tmp_path)
    try:
        core = stack.start("core", [sys.executable, "-m", f"{PACKAGE}.core_banking.http.server", "--port",
                                    str(ports["core"]), "--database-url", database_url],
                           {**env, "CORE_API_SECRET": core_secret})
        gateway = stack.start("sms", [sys.executable, "-m", f"{PACKAGE}.sms.gateway.server", "--port",
                                      str(ports["sms"])], {**env, "SMS_GATEWAY_SECRET": sms_secret})
        wechat = stack.start("mock", [*flask, "sandbox", "mock", "--port", str(ports["mock"]), "--service-url", base],
                             env)
        for name in ("web1", "web2"):
            stack.start(name, [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind",
                               f"127.0.0.1:{ports[name]}", f"{PACKAGE}.wsgi:app"],
                        {**env, "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"})
        stack.start("dispatcher", [*flask, "alerts", "run"], env)
        nginx = stack.start("nginx", [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e",
                                      str(tmp_path / "nginx-error.log")], env)
        _wait_for(f"{core_url}/openapi.yaml", core, stack.log("core"))
        _wait_for(f"{sms_url}/openapi.yaml", gateway, stack.log("sms"))
        _wait_for(f"{mock}/_mock/stats", wechat, stack.log("mock"))
        for name in ("web1", "web2"):
            _wait_for(f"http://127.0.0.1:{ports[name]}/healthz", stack.processes[name], stack.log(name))
        _wait_for(f"{base}/healthz", nginx, tmp_path / "nginx-error.log", verify=str(tmp_path / "cert.pem"))
        added = requests.post(f"{mock}/_mock/users", json={"openid": OPENID, "nickname": "栈测"}, timeout=5,
                              headers=MOCK_HEADERS)
        assert added.status_code in (200, 201), added.text

        ca = str(tmp_path / "cert.pem")
        ready = requests.get(f"{base}/readyz", verify=ca, timeout=15)
        assert ready.status_code == 200 and ready.json()["checks"] == {
            "database": {"status": "ok"}, "redis": {"status": "ok"}, "core": {"status": "ok"},
            "wechat": {"status": "ok"}}, ready.text

        customer = Customer(base, mock, config, ca)
        assert customer.follow()  # the welcome reply, through nginx
        customer.log_in("/h5/bind")
        csrf, page = customer.csrf("/h5/privacy/consent?next=/h5/bind")  # the separate consent first
        version = re.search(r'name="version"[^>]*value="([^"]*)"', page).group(1)
        agreed = customer.post("/h5/privacy/consent", {"csrf_token": csrf, "version": version, "agree": "y",
                                                       "next": "/h5/bind"})
        assert agreed.status_code == 302 and agreed.headers["Location"] == "/h5/bind", agreed.text
        csrf, _ = customer.csrf("/h5/bind")
        sent = customer.post("/h5/bind", {"csrf_token": csrf, "card_number": ZHANG.cards[0],
                                          "holder_name": ZHANG.name, "id_number": ZHANG.id_number,
                                          "phone": ZHANG.phone})
        assert sent.status_code == 302 and sent.headers["Location"] == "/h5/bind/verify", sent.text
        csrf, _ = customer.csrf("/h5/bind/verify")
        bound = customer.post("/h5/bind/verify", {"csrf_token": csrf, "code": sms_code(sms_url, sms_secret,
                                                                                         ZHANG.phone)})
        assert bound.status_code == 302 and "bound=" in bound.headers["Location"], bound.text
        binding_id = re.search(r"bound=(\d+)", bound.headers["Location"]).group(1)

        assert "50,000.00" in balance_yuan(customer)
        transfer(customer, binding_id, "123.45")
        [message] = wait_for_messages(mock, 1)
        assert message["payload"]["template_id"] == app.config["TRANSFER_TEMPLATE_ID"]
        assert "¥123.45" in json.dumps(message["payload"], ensure_ascii=False)
        assert "49,876.55" in balance_yuan(customer)

        stack.kill("web1")  # one instance dies; nginx takes the customer to the other
        assert "49,876.55" in balance_yuan(customer)
        transfer(customer, binding_id, "10.00")
        wait_for_messages(mock, 2)
        assert "49,866.55" in balance_yuan(customer)

        scraped = requests.get(f"http://127.0.0.1:{ports['web2']}/metrics", timeout=10).text
        # Multiprocess mode: both workers of the live instance, and the dead instance's and the dispatcher's files.
        assert re.search(r'wechat_bank_http_requests_total\{endpoint="[a-z0-9_.]+",method="POST",status="303"\} [1-9]',
                         scraped), scraped[:3000]
        # The dispatcher's counters, through the shared directory: both transfer-result messages went out.
        finished = r'wechat_bank_outbox_notices_finished_total\{channel="[a-z_]+",state="delivered"\} 2'
        assert re.search(finished, scraped), scraped[:3000]
    finally:
        stack.stop_all()
