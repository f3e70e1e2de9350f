"""GET /readyz: can this instance serve customers now? /healthz (web/health.py) stays the liveness check
(the process and its database); /readyz also asks every dependency:

- database: SELECT 1;
- redis: PING, when REDIS_URL is set (the shared WeChat token lives there);
- core: the core port's `ping()` (a signed GET /health for the HTTP adapter, SELECT 1 for the ledger);
- wechat: the shared access token is fresh in the store or can be fetched now (sandbox: from the mock).

The body is JSON, one entry per check (`ok`, or `down` with a short reason free of URLs and secrets),
with 200 when all are ok and 503 when one is down. The answer is cached per process for
READYZ_CACHE_SECONDS (5 by default), so a load balancer probing every second from several places costs
the core one ping per process every few seconds.
"""

import logging
import threading
import time
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..core_banking.current import get_core
from ..core_banking.port import CoreBankingError
from ..extensions import db
from ..wechat.client.sync import get_client

log = logging.getLogger(__name__)
bp = Blueprint("readiness", __name__)

EXTENSION_KEY = "readiness"
OK = "ok"
DOWN = "down"


def check_database() -> str | None:
    try:
        db.session.execute(text("SELECT 1"))
        return None
    except SQLAlchemyError as exc:
        return f"unreachable: {type(exc).__name__}"
    finally:
        db.session.rollback()


def check_redis() -> str | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure is "down"; redis-py's messages may hold the URL
        return f"unreachable: {type(exc).__name__}"
    return None


def check_core() -> str | None:
    try:
        get_core().ping()
    except CoreBankingError as exc:
        return exc.code
    except Exception as exc:  # noqa: BLE001 - a bank's own adapter may raise anything
        log.warning("readiness: core ping crashed: %s", type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return None


def check_wechat() -> str | None:
    try:
        token = get_client().access_token  # the stored fresh token, or fetched now under the store's lock
    except Exception as exc:  # noqa: BLE001 - WeChatClientException, requests' errors, the store's
        errcode = getattr(exc, "errcode", None)
        return f"token unavailable: errcode {errcode}" if errcode else f"token unavailable: {type(exc).__name__}"
    return None if token else "token unavailable: empty"


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database, "redis": check_redis, "core": check_core, "wechat": check_wechat,
}


class Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.until = 0.0
        self.answer: tuple[dict, int] | None = None


def run_checks() -> tuple[dict, int]:
    checks = {}
    for name, check in CHECKS.items():
        if name == "redis" and not current_app.config.get("REDIS_URL"):
            checks[name] = {"status": "not_configured"}
            continue
        problem = check()
        checks[name] = {"status": OK} if problem is None else {"status": DOWN, "reason": problem}
    down = sorted(name for name, result in checks.items() if result["status"] == DOWN)
    if down:
        log.warning("readiness: down: %s", ", ".join(f"{name} ({checks[name]['reason']})" for name in down))
    body = {"status": "unavailable" if down else OK, "checks": checks}
    return body, 503 if down else 200


@bp.get("/readyz")
def readyz():
    cache: Cache = current_app.extensions[EXTENSION_KEY]
    seconds = float(current_app.config.get("READYZ_CACHE_SECONDS", 5.0))
    with cache.lock:  # one check at a time per process; the others wait and take its answer
        now = time.monotonic()
        if cache.answer is None or now >= cache.until:
            cache.answer = run_checks()
            cache.until = now + seconds
        body, status = cache.answer
    return jsonify(body), status


def install(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Cache()
    app.register_blueprint(bp)
