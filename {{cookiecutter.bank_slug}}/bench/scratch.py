"""Throw-away databases for the benchmarks: a fresh PostgreSQL database that is dropped afterwards."""

import argparse
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """Create a database on the server named by `server_url`, yield its URL, drop it at the end."""
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"bench_{uuid.uuid4().hex[:12]}"
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
