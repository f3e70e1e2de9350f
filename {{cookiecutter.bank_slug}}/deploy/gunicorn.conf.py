"""gunicorn settings: `gunicorn -c deploy/gunicorn.conf.py {{ cookiecutter.bank_slug }}.wsgi:app`."""

import json
import logging
import multiprocessing
import os
import time

from gunicorn.glogging import Logger as _GunicornLogger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30  # well above WeChat's 5 s: slow handlers answer late by customer-service message
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# The path without its query string: OAuth's `code=`, an `openid=` or a signature never reach the access
# log (and every line still passes the masking record factory of shared/logs.py).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'

# Each instance its own pid file and control socket, named after its port: two instances on one host (the
# systemd template unit, one per port) never replace each other's. GUNICORN_RUN_DIR is the directory for
# them (systemd's RuntimeDirectory, /run/<slug>); without it there is no pid file and no control socket at
# all, rather than gunicorn's default socket path that every instance of the user would share.
_port = bind.rsplit(":", 1)[-1].replace("/", "_")
_run_dir = os.environ.get("GUNICORN_RUN_DIR", "")
if _run_dir:
    pidfile = os.path.join(_run_dir, f"web-{_port}.pid")
    control_socket = os.path.join(_run_dir, f"web-{_port}.ctl")
else:
    control_socket_disable = True
# Request bodies are read by nginx in full before gunicorn sees them (deploy/nginx.conf.example): gunicorn
# has no body-read timeout of its own, so it must not face clients directly.


# Memory (docs/benchmarks.md section 4): glibc gives each thread that allocates its own malloc arena, so a
# gthread worker's RSS grows with its threads; two arenas are enough for a handful of request threads that
# mostly wait on the database. MALLOC_ARENA_MAX in the environment (systemd, docker) overrides this.
MALLOC_ARENA_MAX = int(os.environ.get("MALLOC_ARENA_MAX") or 2)
_M_ARENA_MAX = -8  # glibc's mallopt() parameter


def _libc():
    """glibc's allocator functions, or None where there are none (musl, macOS: no arenas, no malloc_trim)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)  # the process and the C library it is linked with
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def on_starting(server):
    """In the master, before any worker is forked (each inherits the setting)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENA_MAX)


def post_worker_init(worker):
    """Each worker, once it has built the app: hand back to the system what start-up freed."""
    import gc

    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def child_exit(server, worker):
    """Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR, ops/metrics.py): forget a dead worker's live values."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _log_format() -> str:
    """LOG_FORMAT as the service will read it: the environment, else ./.env (shared/logs.py)."""
    value = os.environ.get("LOG_FORMAT")
    if value is None:
        from dotenv import dotenv_values

        value = dotenv_values(os.path.join(os.getcwd(), ".env")).get("LOG_FORMAT")
    return (value or "text").strip().lower()


class _MasterJsonFormatter(logging.Formatter):
    """LOG_FORMAT=json for the lines gunicorn writes before the app is loaded (the master's start, signals,
    worker boots and exits: no customer data). Each worker, once it has loaded the app, switches these
    handlers to the service's own masked JsonFormatter (shared/logs.py): the same fields."""

    def format(self, record):
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z", "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _JsonLogger(_GunicornLogger):
    def setup(self, cfg):  # also run on a configuration reload (HUP), which recreates the handlers
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(_MasterJsonFormatter())


if _log_format() == "json":
    logger_class = _JsonLogger
