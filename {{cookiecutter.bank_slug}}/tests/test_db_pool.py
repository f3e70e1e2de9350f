"""Pooled PostgreSQL connections: pinged on checkout only after sitting idle (db._ping_when_idle), so a busy worker
pays no extra round trip, and a connection killed while idle (a server restart, a firewall's idle timeout) is
replaced before the caller sees it."""

import pytest
from sqlalchemy import create_engine, text

from {{ cookiecutter.bank_slug }} import db as database

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url):
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0, **database.engine_options(postgres_url))
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _age_pooled_connection(engine, seconds: float) -> None:
    for record in list(engine.pool._pool.queue):  # the idle connections' records
        record.info["checked_in_at"] -= seconds


def test_only_a_connection_that_sat_idle_is_pinged(engine):
    assert "pool_pre_ping" not in database.engine_options("postgresql+psycopg://x/y")
    pid = _backend_pid(engine)
    raw = engine.pool._pool.queue[0].dbapi_connection
    cursors = []
    original = raw.cursor
    raw.cursor = lambda *a, **k: cursors.append(1) or original(*a, **k)
    try:
        assert _backend_pid(engine) == pid
        assert len(cursors) == 1  # just the unit's own statement: no ping for a connection in use
        _age_pooled_connection(engine, database.IDLE_PING_SECONDS + 1)
        assert _backend_pid(engine) == pid
        assert len(cursors) == 3  # idle too long: a ping (SELECT 1), then the statement
    finally:
        raw.cursor = original


def test_a_connection_killed_while_idle_is_replaced_unseen(engine, postgres_url):
    pid = _backend_pid(engine)
    killer = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    _age_pooled_connection(engine, database.IDLE_PING_SECONDS + 1)
    assert _backend_pid(engine) != pid  # pinged, found dead, replaced: the caller got a working connection


def test_a_connection_killed_while_busy_fails_one_unit_cleanly(engine, postgres_url):
    """Within the idle window nothing pings: the unit fails with a database error (the service answers 503),
    and the pool drops the dead connection, so the next unit works."""
    pid = _backend_pid(engine)
    killer = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    with pytest.raises(Exception) as failed:
        _backend_pid(engine)
    assert "terminat" in str(failed.value).lower() or "closed" in str(failed.value).lower()
    assert _backend_pid(engine) != pid
