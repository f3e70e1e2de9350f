"""deploy/nginx.conf.example as shipped: `nginx -t` accepts it (Debian 12's nginx 1.22 on this machine), the
access log carries no query strings, /h5 and the admin login are rate-limited, and request bodies are read
by nginx in full, so a client dripping its body (1 byte every 2 s, issue 13) ties up nginx, not gunicorn's
threads: valid pushes are still answered while 16 such clients hang on."""

import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message

from .conftest import _in_ci, make_config
from .helpers import free_port, next_msg_id

PROJECT = Path(__file__).resolve().parents[1]
NGINX = "/usr/sbin/nginx"
SITE = PROJECT / "deploy" / "nginx.conf.example"


def _need(path: str) -> None:
    if not Path(path).exists() or not shutil.which("openssl"):
        message = f"{path} or openssl is not installed (.ci/run installs them)"
        if _in_ci():
            pytest.fail(message + " (CI=true)", pytrace=False)
        pytest.skip(message)


def _location(site: str, name: str) -> str:
    return re.search(r"location " + re.escape(name) + r" \{(.*?)\}", site, re.S).group(1)


def _prepare(tmp: Path, site: str, upstream_ports=None) -> Path:
    """The site inside a complete nginx.conf under `tmp`, as nginx.conf's `include conf.d/*.conf` would
    place it (in http{}), with a self-signed certificate and paths nginx may write as this user."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp / "key.pem"),
                    "-out", str(tmp / "cert.pem")], check=True, capture_output=True, timeout=60)
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp}/cert.pem;", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp}/key.pem;", site)
    site = re.sub(r"access_log\s+/\S+", f"access_log {tmp}/access.log", site)
    if upstream_ports:
        https, http = upstream_ports.pop("https"), upstream_ports.pop("http")
        site = re.sub(r"listen 80;", f"listen 127.0.0.1:{http};", site)
        site = re.sub(r"listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;", site)
        web = upstream_ports["web"][0]
        site = re.sub(r"server 127\.0\.0\.1:800[01]", f"server 127.0.0.1:{web}", site)
        site = site.replace("proxy_set_header Host $host;", "proxy_set_header Host $http_host;")
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / name).mkdir(exist_ok=True)
    user = "user root;\n" if hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
        "events { worker_connections 512; }\nhttp {\n"
        f"client_body_temp_path {tmp}/client_body;\nproxy_temp_path {tmp}/proxy;\nfastcgi_temp_path {tmp}/fastcgi;\n"
        f"uwsgi_temp_path {tmp}/uwsgi;\nscgi_temp_path {tmp}/scgi;\n{site}\n}}\n", encoding="utf-8")
    return conf


def test_the_shipped_site_passes_nginx_t(tmp_path):
    _need(NGINX)
    conf = _prepare(tmp_path, SITE.read_text(encoding="utf-8"))
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_the_access_log_has_no_query_strings_and_logins_are_rate_limited():
    site = SITE.read_text(encoding="utf-8")
    log_format = re.search(r"log_format \S+ (.*?);", site, re.S).group(1)
    for variable in ("$request ", "$request\"", "$request_uri", "$args", "$query_string"):
        assert variable not in log_format
    assert "$uri" in log_format
    assert "limit_req zone=" in _location(site, "/h5/") and "limit_req zone=" in _location(site, "= /admin/login")
    assert "deny all;" in _location(site, "= /admin/login")
    wechat = _location(site, "= /wechat")
    assert "client_body_timeout" in wechat and "proxy_request_buffering on;" in site
    assert not re.search(r"^\s*http2 on;", site, re.M)  # nginx 1.25+ only; `listen ... ssl http2` works on 1.18-1.24


def _drip(port: int, query: str, stop: threading.Event, context: ssl.SSLContext) -> None:
    """A validly signed push (the signature covers only the query string: anyone who saw one can replay it
    within the timestamp window) whose body arrives 1 byte every 2 s."""
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        sock.sendall(f"POST /wechat?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
                     + b"Content-Type: text/xml\r\nContent-Length: 4000\r\n\r\n")
        while not stop.wait(2):
            sock.sendall(b"<")
    except OSError:
        pass  # nginx hung up on it: what it should do


@pytest.mark.heavy
def test_dripping_clients_do_not_starve_gunicorn_behind_nginx(tmp_path):
    _need(NGINX)
    database = tmp_path / "drip.db"
    config = make_config(f"sqlite:///{database}")
    env = {**{k: str(v) for k, v in config.items()}, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT),
           "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "2"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "{{ cookiecutter.bank_slug }}", "init-db"], cwd=PROJECT,
                   env=env, check=True, capture_output=True, timeout=120)
    web = free_port()
    ports = {"https": free_port(), "http": free_port(), "web": [web]}
    https = ports["https"]
    conf = _prepare(tmp_path, SITE.read_text(encoding="utf-8"), ports)
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind",
                                 f"127.0.0.1:{web}", "--no-control-socket", "{{ cookiecutter.bank_slug }}.wsgi:app"],
                                cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    try:
        session, cert = requests.Session(), str(tmp_path / "cert.pem")  # verify= per call: REQUESTS_CA_BUNDLE
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if session.get(f"https://127.0.0.1:{https}/healthz", timeout=2, verify=cert).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        pusher = WeChatPusher.from_config(config)
        signed = urlencode(pusher.sign(text_message("oDripper000000000000000000001", "x", next_msg_id())).query)
        drips = [threading.Thread(target=_drip, args=(https, signed, stop, context), daemon=True) for _ in range(16)]
        for thread in drips:
            thread.start()
        time.sleep(1)  # every drip is connected and has sent its headers
        answered = 0
        for _ in range(5):
            pushed = pusher.sign(text_message("oDripVictim00000000000000001", "帮助", next_msg_id()))
            response = session.post(f"https://127.0.0.1:{https}/wechat", params=pushed.query,
                                    data=pushed.body.encode(), headers={"Content-Type": "text/xml"}, timeout=4,
                                    verify=cert)
            answered += response.status_code == 200
        assert answered == 5  # with 2 threads and 16 drips straight at gunicorn, none would be
    finally:
        stop.set()
        nginx.terminate()
        gunicorn.terminate()
        nginx.wait(timeout=10)
        gunicorn.wait(timeout=10)
