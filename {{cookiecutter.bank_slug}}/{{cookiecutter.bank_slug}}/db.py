"""The database helpers every writer uses: one unit of work in its own transaction, retried when the database
asks for it (`write_transaction`); the engine options and SQLite's connection pragmas.

PostgreSQL: the work locks the rows it changes with SELECT ... FOR UPDATE in account-id order, so
two transfers between the same accounts (either direction) queue instead of deadlocking; a
serialization failure, deadlock or a lost race on an idempotency key still rolls the whole unit
back and runs it again, a bounded number of times. SQLite: the unit takes the database's write lock
up front (BEGIN IMMEDIATE), so concurrent writers run one after the other; threads of one process
first queue on an in-process lock, and processes (gunicorn's workers, the dispatcher, the commands) on an
exclusive flock of a lock file beside the database (`<database>-writer.lock`), so they do not poll SQLite's
busy handler: it sleeps 1, 2, 5 ... 100 ms between tries, which starves some writers and leaves the cores idle
while every worker waits. The kernel wakes the next writer the moment the lock is free.
"""

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, any_, bindparam, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.pool import Pool

try:
    import fcntl
except ImportError:  # not a POSIX system: SQLite's busy handler queues the processes
    fcntl = None

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 6
RETRY_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
IDEMPOTENCY_CONSTRAINT = "idempotency_key"  # in the unique index's name and SQLite's message


class _SqliteWriters:
    """The queue of one SQLite database's writers: this process's threads on a lock, then the processes on an
    flock of `<database>-writer.lock` (a database in memory has one process: the thread lock alone)."""

    def __init__(self, database: str | None) -> None:
        self.lock = threading.Lock()
        on_disk = fcntl is not None and database and database != ":memory:" and not database.startswith("file:")
        self.path = f"{database}-writer.lock" if on_disk else None
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self.path is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own: flocks are per open file
            try:
                self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
            except OSError:  # a read-only folder: SQLite's busy handler alone, as before
                log.warning("no writer lock file %s: writers of several processes poll SQLite instead", self.path)
                self.path = None
                return None
        return self._fd

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, *exc) -> None:
        try:
            if self._fd is not None and self.path is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self.lock.release()


def one_of(connection: Connection, column, values) -> ColumnElement[bool]:
    """`column IN (values)` for a batch query. PostgreSQL: `column = ANY(:array)`, one parameter whatever the
    count, so SQLAlchemy, psycopg and the server see the same statement every batch (an IN list is rendered,
    converted and planned again for every length); elsewhere the IN list."""
    values = list(values)
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


_sqlite_writers: dict[str, _SqliteWriters] = {}
_sqlite_writers_guard = threading.Lock()


def _writer_queue(engine: Engine) -> AbstractContextManager:
    """SQLite: the queue of the database file's writers (threads, then processes); others: nothing."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = engine.url.render_as_string(hide_password=True)
    with _sqlite_writers_guard:
        found = _sqlite_writers.get(key)
        if found is None:
            found = _sqlite_writers[key] = _SqliteWriters(engine.url.database)
        return found


def is_retryable(exc: DBAPIError) -> bool:
    """True when running the same work again may succeed (and cannot apply anything twice)."""
    original = exc.orig
    if getattr(original, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    if isinstance(exc, IntegrityError):  # a concurrent unit applied the same key first: the retry replays it
        return IDEMPOTENCY_CONSTRAINT in str(original)
    if isinstance(exc, OperationalError) and type(original).__module__.startswith("sqlite3"):
        return "locked" in str(original) or "busy" in str(original)
    return False


def write_transaction(engine: Engine, work: Callable[[Connection], T], attempts: int = MAX_ATTEMPTS) -> T:
    """Run `work(connection)` and commit; roll back on any exception (a refusal posts nothing)."""
    for attempt in range(1, attempts + 1):
        try:
            with _writer_queue(engine), engine.connect() as connection:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                result = work(connection)
                connection.commit()
                return result
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.info("write transaction retried (attempt %d): %s", attempt, type(exc.orig).__name__)
            time.sleep(random.uniform(0, 0.002 * attempt))
    raise AssertionError("unreachable")


IDLE_PING_SECONDS = 10.0


def engine_options(url: str) -> dict:
    """PostgreSQL: a pooled connection idle for IDLE_PING_SECONDS or more is pinged when checked out (see
    `_ping_when_idle`), not every checkout as pool_pre_ping does: a busy worker saves a round trip per unit."""
    if url.startswith("postgresql"):
        return {"connect_args": {"connect_timeout": 5}}
    return {}


@event.listens_for(Pool, "checkin")
def _remember_checkin(_dbapi_connection, record) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_when_idle(dbapi_connection, record, _proxy) -> None:
    """SQLAlchemy's pessimistic disconnect handling, for connections that sat idle: a server restart or a
    firewall's idle timeout kills those; a dead one raises DisconnectionError, which makes the pool replace it
    (up to three times) before the caller sees anything. A connection in steady use is not pinged: if it died
    within the last seconds, that unit fails (rolled back, nothing half-written) and the caller answers 503."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    last = record.info.get("checked_in_at")
    if last is None or time.monotonic() - last < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as exc:  # any failure of the driver means this connection is not usable
        raise DisconnectionError("pooled connection was dead after idling") from exc


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: WAL so several gunicorn workers can read while one writes; wait, don't fail, on locks.
    synchronous=NORMAL: in WAL mode a commit no longer waits for fsync (the WAL is synced at checkpoints);
    the database stays consistent through a crash, and only a power loss may lose the last commits."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
