"""What the benchmarks share: throw-away databases (a fresh PostgreSQL database that is dropped
afterwards, a SQLite file in a temp folder), the app's settings with fresh secrets, a free port."""

import argparse
import os
import secrets
import socket
import string
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ALNUM = string.ascii_letters + string.digits


def _alnum(n: int) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def bench_config(database_url: str, **overrides) -> dict:
    """The app's settings for a benchmark: sandbox mode, safe mode, fresh secrets, quiet logs."""
    return {
        "SECRET_KEY": _alnum(40), "DATABASE_URL": database_url, "WECHAT_APP_ID": "wx" + secrets.token_hex(8),
        "WECHAT_APP_SECRET": secrets.token_hex(16), "WECHAT_TOKEN": _alnum(32), "WECHAT_ENCODING_AES_KEY": _alnum(43),
        "WECHAT_ENCRYPT_MODE": "safe", "WECHAT_SANDBOX": "1", "LOG_LEVEL": "WARNING", **overrides,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """Create a database on the server named by `server_url` (named BENCH_DATABASE_PREFIX, default bench_,
    and a random part), yield its URL, drop it at the end."""
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"{os.environ.get('BENCH_DATABASE_PREFIX', 'bench_')}{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_SERVER))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")


def databases(args: argparse.Namespace) -> Iterator[str]:
    """A scratch PostgreSQL database, then a SQLite file in a temp folder (unless switched off)."""
    if not args.no_postgres:
        with scratch_postgres(args.postgres_url) as database_url:
            yield database_url
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            print()
            yield f"sqlite:///{folder}/bench.db"
