"""deploy/: the example nginx site and gunicorn's settings agree with each other and with the service."""

import re
from pathlib import Path

from {{ cookiecutter.bank_slug }}.settings import load_config

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
BASE = {"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite:///x.db", "WECHAT_APP_ID": "wx1234567890abcdef",
        "WECHAT_TOKEN": "abc123", "WECHAT_ENCODING_AES_KEY": "a" * 43, "WECHAT_ENCRYPT_MODE": "safe"}


def _nginx() -> str:
    return (DEPLOY / "nginx.conf.example").read_text(encoding="utf-8")


def test_nginx_proxies_to_where_gunicorn_listens_by_default():
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8")
    bind = re.search(r'GUNICORN_BIND", "([^"]+)"', gunicorn).group(1)
    targets = set(re.findall(r"proxy_pass http://([^;]+);", _nginx()))
    assert targets == {bind}


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
