"""deploy/: the example nginx site and gunicorn's settings agree with each other and with the service."""

import re
from pathlib import Path

from {{ cookiecutter.bank_slug }}.settings import load_config

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
BASE = {"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite:///x.db", "WECHAT_APP_ID": "wx1234567890abcdef",
        "WECHAT_TOKEN": "abc123", "WECHAT_ENCODING_AES_KEY": "a" * 43, "WECHAT_ENCRYPT_MODE": "safe"}


def _nginx() -> str:
    return (DEPLOY / "nginx.conf.example").read_text(encoding="utf-8")


def test_nginx_proxies_to_the_upstream_of_gunicorn_instances_including_the_default_bind():
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8")
    bind = re.search(r'GUNICORN_BIND", "([^"]+)"', gunicorn).group(1)
    nginx = _nginx()
    targets = set(re.findall(r"proxy_pass http://([^;]+);", nginx))
    assert len(targets) == 1
    upstream = re.search(r"upstream " + re.escape(targets.pop()) + r" \{(.*?)\}", nginx, re.S).group(1)
    servers = re.findall(r"server (\S+?)[ ;]", upstream)
    assert bind in servers and len(servers) >= 2


def test_nginx_forwards_the_client_address_and_scheme_for_trusted_proxies():
    nginx = _nginx()
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx and "X-Forwarded-Proto $scheme" in nginx


def test_nginx_lets_the_largest_core_push_through():
    limit = re.search(r"client_max_body_size (\d+)m;", _nginx())
    assert int(limit.group(1)) * 1024 * 1024 > load_config(BASE)["CORE_API_MAX_BODY_BYTES"]


def test_nginx_serves_the_public_domain_and_keeps_admin_internal():
    nginx = _nginx()
    env_example = (DEPLOY.parent / ".env.example").read_text(encoding="utf-8")
    domain = re.search(r"^PUBLIC_DOMAIN=(\S+)", env_example, re.M).group(1)
    assert f"server_name {domain};" in nginx
    admin = re.search(r"location /admin \{(.*?)\}", nginx, re.S).group(1)
    assert "deny all;" in admin


def _gunicorn_settings(**env) -> dict:
    import os

    saved = dict(os.environ)
    os.environ.update(env)
    for name in ("GUNICORN_RUN_DIR", "GUNICORN_BIND"):
        if name not in env:
            os.environ.pop(name, None)
    try:
        namespace: dict = {}
        exec((DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8"), namespace)
        return namespace
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_two_gunicorn_instances_get_their_own_pid_file_and_control_socket():
    first = _gunicorn_settings(GUNICORN_BIND="127.0.0.1:8000", GUNICORN_RUN_DIR="/run/bank")
    second = _gunicorn_settings(GUNICORN_BIND="127.0.0.1:8001", GUNICORN_RUN_DIR="/run/bank")
    assert first["control_socket"] != second["control_socket"] and first["pidfile"] != second["pidfile"]
    assert all(path.startswith("/run/bank/") for path in (first["control_socket"], second["pidfile"]))


def test_without_a_run_directory_there_is_no_shared_default_control_socket():
    settings = _gunicorn_settings(GUNICORN_BIND="127.0.0.1:8000")
    assert settings.get("control_socket_disable") is True and "control_socket" not in settings


class _FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, parameter, value):
        self.calls.append(("mallopt", parameter, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


def test_gunicorn_limits_malloc_arenas_in_the_master_and_trims_each_worker_after_start_up():
    settings = _gunicorn_settings()
    libc = _FakeLibc()
    settings["_libc"] = lambda: libc
    settings["on_starting"](object())
    assert libc.calls == [("mallopt", -8, 2)]  # M_ARENA_MAX: inherited by every forked worker
    settings["post_worker_init"](object())
    assert libc.calls[-1] == ("malloc_trim", 0)


def test_malloc_arena_max_in_the_environment_overrides_the_default():
    settings = _gunicorn_settings(MALLOC_ARENA_MAX="4")
    libc = _FakeLibc()
    settings["_libc"] = lambda: libc
    settings["on_starting"](object())
    assert libc.calls == [("mallopt", -8, 4)]


def test_without_glibc_the_allocator_hooks_do_nothing():
    settings = _gunicorn_settings()
    settings["_libc"] = lambda: None
    settings["on_starting"](object())
    settings["post_worker_init"](object())
