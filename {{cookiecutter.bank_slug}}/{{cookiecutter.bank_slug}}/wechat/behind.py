"""Writes that may trail WeChat's answer by a moment, batched per process: the customer-service window a message
opens, and the stored reply of a message (in the database, or in Redis when REDIS_URL is set).

A message's reply must not wait for bookkeeping that nobody reads within the next few milliseconds. Each such
write is queued here and a writer thread puts everything queued in one transaction every INTERVAL (one
statement per kind, executemany; for Redis one pipeline), so a burst of N messages costs a few round trips
instead of N.
Queued writes of one key coalesce: the latest wins.

Who reads them stays right:
- in this process, every reader of the windows (wechat/window.py) and of the de-dup records (wechat/dedup.py)
  flushes the queue first, so it reads what this process has written;
- other processes see a write at most INTERVAL (plus one transaction) later: a window recorded 50 ms late
  means a customer-service message sent in that moment takes the template instead (never the other way
  round), and WeChat's retries, which come seconds later, find the stored reply;
- a worker that exits flushes (atexit); one that is killed loses at most INTERVAL of windows (the outbox then
  uses templates for those users until they write again) and of stored replies (their retries, if any, get
  "success": the reply already went out in the first answer).
A failing flush is logged and dropped: recording never breaks a reply.
"""

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Hashable

from sqlalchemy import Engine

from ..db import write_transaction

log = logging.getLogger(__name__)

INTERVAL = 0.05  # seconds between flushes while writes are queued
IDLE_EXIT = 10.0  # the writer thread ends after this long with nothing queued; the next write starts it again

_behinds: "weakref.WeakKeyDictionary[Engine, Behind]" = weakref.WeakKeyDictionary()
_behinds_lock = threading.Lock()


def _sql_writer(engine: Engine, groups) -> None:
    """One transaction: each statement with all its queued values (executemany)."""
    def work(connection):
        for statement, rows in groups:
            connection.execute(statement, rows)

    write_transaction(engine, work)


class Behind:
    """The queue of trailing writes to one database (an Engine: `behind(engine)`) or one Redis (a client:
    `behind(client, writer)`) in this process."""

    def __init__(self, target, writer=_sql_writer) -> None:
        self.engine = weakref.ref(target)
        self._writer = writer
        self._pending: dict[tuple[int, Hashable], tuple[object, dict]] = {}
        self._lock = threading.Lock()  # guards _pending and the thread
        self._flushing = threading.Lock()  # one flush at a time: a later value is never overwritten by an earlier
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def add(self, statement, key: Hashable, values: dict) -> None:
        """Queue `statement` with `values`; a queued write of the same statement and `key` is replaced."""
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread and queue are not this process's
                self._pending, self._thread, self._pid = {}, None, os.getpid()
            self._pending[(id(statement), key)] = (statement, values)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="wechat-behind", daemon=True)
                self._thread.start()
        self._wake.set()

    def pending(self, statement, key: Hashable) -> dict | None:
        """The queued values of `statement` and `key`, if any (a reader in this process)."""
        with self._lock:
            found = self._pending.get((id(statement), key))
        return found[1] if found else None

    def flush(self) -> int:
        """Write everything queued now, in one transaction; the number of writes."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
            engine = self.engine()  # the target: an Engine or a Redis client
            if not batch or engine is None:
                return 0
            groups: dict[int, tuple[object, list[dict]]] = {}
            for (statement_id, _key), (statement, values) in batch.items():
                groups.setdefault(statement_id, (statement, []))[1].append(values)
            try:
                self._writer(engine, list(groups.values()))
            except Exception:
                log.exception("could not record %d trailing writes (customer-service windows, stored replies)",
                              len(batch))
            return len(batch)

    def _run(self) -> None:
        while True:
            if not self._wake.wait(timeout=IDLE_EXIT):
                with self._lock:
                    if not self._pending:
                        self._thread = None
                        return
                continue
            time.sleep(INTERVAL)  # let the writes of this moment gather: one transaction for all of them
            self._wake.clear()  # before the flush: a write queued after it wakes the next round
            self.flush()


def behind(target, writer=_sql_writer) -> Behind:
    """The trailing-writes queue of `target` (an Engine; or a Redis client, with its `writer`) in this process."""
    found = _behinds.get(target)
    if found is None:
        with _behinds_lock:
            found = _behinds.get(target)
            if found is None:
                found = _behinds[target] = Behind(target, writer)
    return found


def flush(target) -> None:
    """Write what this process has queued for `target` (before reading what it may have queued)."""
    found = _behinds.get(target)
    if found is not None and (found._pending or found._flushing.locked()):
        found.flush()  # also waits for a flush the writer thread is in the middle of


@atexit.register
def _flush_all() -> None:
    for queue in list(_behinds.values()):
        try:
            queue.flush()
        except Exception:  # at exit: nothing left to tell but the log
            log.exception("trailing writes lost at exit")
