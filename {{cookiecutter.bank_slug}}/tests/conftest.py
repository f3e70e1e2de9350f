"""Shared fixtures: an app on a throw-away database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL points at one), WeChat push helpers, and PostgreSQL for the tests that need it.
"""

import os
import secrets
import string
import uuid

import pytest
from flask_migrate import upgrade
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher

from .helpers import settle

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
ALNUM = string.ascii_letters + string.digits


def _alnum(n):
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres://"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# Property-based tests: CI runs the same examples every time (fixed budgets, a failure is reproducible and
# never a flake of one run); locally each run explores new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if _in_ci():
    hypothesis_settings.load_profile("ci")


class ScratchPostgres:
    """Creates a fresh database on a PostgreSQL server and drops it afterwards."""

    def __init__(self, server_url: str):
        url = make_url(server_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        self.server = url
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})

    def create(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def scratch_postgres_or_skip(server_url: str) -> ScratchPostgres:
    scratch = ScratchPostgres(server_url)
    try:
        with scratch.admin.connect():
            pass
    except Exception as exc:  # unreachable server: skip locally, fail in CI
        message = f"PostgreSQL unreachable at {scratch.server.render_as_string()}: {type(exc).__name__}"
        if _in_ci():
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    return scratch


def make_config(database_url: str, **overrides) -> dict:
    config = {
        "SECRET_KEY": _alnum(40),
        "DATABASE_URL": database_url,
        "WECHAT_APP_ID": "wx" + secrets.token_hex(8),
        "WECHAT_APP_SECRET": secrets.token_hex(16),
        "WECHAT_TOKEN": _alnum(32),
        "WECHAT_ENCODING_AES_KEY": _alnum(43),
        "WECHAT_ENCRYPT_MODE": "safe",
        "WECHAT_SANDBOX": "1",
        "SMS_SENDER": "sandbox",  # not the baked .env's (gateway in a bake with an AppID), which servers would read
        "CORE_API_SECRET": secrets.token_hex(32),
        "LOG_LEVEL": "WARNING",
        "TESTING": True,
        # Building /admin's ~90 routes is most of create_app's time; the tests of the panel switch it on.
        "ADMIN_PANEL_ENABLED": "0",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url and _is_postgres(url):
        scratch = scratch_postgres_or_skip(url)
        yield scratch.create()
        scratch.drop()
    else:
        yield url or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _migrated(database_url):
    """The schema comes from the migrations, as in production."""
    app = create_app(make_config(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def make_app(_migrated):
    """Factory: an app on the migrated test database with the given config overrides."""
    created = []

    def factory(features=None, **overrides):
        app = create_app(make_config(_migrated, **overrides), features=features)
        created.append(app)
        return app

    yield factory
    for app in created:
        app.extensions["wechat_processor"].executor.shutdown(wait=True)
        settle(app)  # what /wechat queued behind its answers lands now, not in the next test's empty tables
        with app.app_context():
            db.engine.dispose()
    _empty_tables(_migrated)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def pusher(app):
    return WeChatPusher.from_config(app.config)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database, migrated (TEST_POSTGRES_URL, default the local server)."""
    scratch = scratch_postgres_or_skip(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    url = scratch.create()
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    scratch.drop()


@pytest.fixture(scope="session")
def redis_url():
    """A Redis server for the Redis-backed tests (TEST_REDIS_URL, default the local server, db 15);
    skipped when unreachable, a failure under CI=true."""
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis unreachable at {url}: {type(exc).__name__}"
        if _in_ci():
            pytest.fail(message + " (CI=true: Redis tests must run)", pytrace=False)
        pytest.skip(message)
    return url
