"""POST /api/core/v1/transactions: the bank's core pushes transactions; each becomes an alert.

Signed like the core-banking contract (core_banking/http/wire.py): HMAC-SHA256 keyed with CORE_API_SECRET
over "<timestamp>\\n<METHOD>\\n<path>\\n" + body, hex in X-Core-Signature, Unix seconds in
X-Core-Timestamp, which must be within CORE_API_TIMESTAMP_WINDOW_SECONDS of this server's clock.

Batch semantics (docs/alerts-api.openapi.yaml): a request that is not well-formed as a whole (bad
signature or timestamp, not JSON, no `transactions` array, more than 1,000 items, body too large) is
refused whole with a 4xx and nothing is stored. Otherwise every item gets its own result, in order:
`stored`, `duplicate` (same transaction_id and content as before: idempotent) or `refused` with the
reason; the stored items commit together in one transaction, so a 200 means they are all stored.
"""

import hmac
import json
import logging
import time

from flask import Blueprint, jsonify, request

from ... import settings
from ...core_banking.http.wire import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ...db import write_transaction
from ...extensions import db
from ...settings.sections import Core
from ...shared.numbers import ascii_int
from ...shared.timeutil import utcnow
from .ingest import DUPLICATE, REFUSED, STORED, store_core_transactions
from .items import parse_json_int, split_batch

log = logging.getLogger(__name__)

bp = Blueprint("core_ingest", __name__, url_prefix="/api/core/v1")

MAX_BATCH = 1000
MIN_SECRET_LENGTH = 16


def _error(status: int, code: str, message: str):
    response = jsonify({"code": code, "message": message})
    response.status_code = status
    return response


def _signature_problem(body: bytes, core: Core) -> str | None:
    secret = core.api_secret
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        return f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required"
    sent_at = ascii_int(timestamp, max_digits=12)  # "²".isdigit() is true; int() of it is not
    if sent_at is None or abs(time.time() - sent_at) > core.api_timestamp_window_seconds:
        return f"{TIMESTAMP_HEADER} is not a Unix time within the allowed window (check the clocks)"
    path = request.full_path if request.query_string else request.path
    expected = sign(secret, timestamp, request.method, path, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return "signature does not match (HMAC-SHA256 of timestamp, method, path and body with CORE_API_SECRET)"
    return None


@bp.post("/transactions")
def push_transactions():
    core = settings.of().core
    secret = core.api_secret
    if len(secret) < MIN_SECRET_LENGTH or secret == "change-me":
        return _error(503, "not_configured", "CORE_API_SECRET is not set on this server; ingestion is disabled")
    limit = core.api_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _error(413, "too_large", f"body larger than {limit} bytes; send at most {MAX_BATCH} transactions")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return _error(413, "too_large", f"body larger than {limit} bytes; send at most {MAX_BATCH} transactions")
    problem = _signature_problem(body, core)
    if problem:
        log.warning("core transaction push refused: %s", problem)
        return _error(401, "unauthorized", problem)
    try:
        payload = json.loads(body, parse_int=parse_json_int)
    except RecursionError:  # one item nests too deeply: the others still get their own results
        items = split_batch(body.decode("utf-8", errors="replace"))
        payload = {"transactions": items} if items is not None else None
        if payload is None:
            return _error(400, "invalid_request", "body must be JSON: {\"transactions\": [...]}")
    except (UnicodeDecodeError, ValueError):
        return _error(400, "invalid_request", "body must be JSON: {\"transactions\": [...]}")
    items = payload.get("transactions") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return _error(400, "invalid_request", "body must be a JSON object with a non-empty `transactions` array")
    if len(items) > MAX_BATCH:
        return _error(413, "too_many", f"at most {MAX_BATCH} transactions per request, got {len(items)}")
    ledger = core.adapter == "ledger"
    results = write_transaction(
        db.engine, lambda connection: store_core_transactions(connection, list(enumerate(items)), utcnow(), ledger))
    counts = {status: sum(1 for r in results if r.status == status) for status in (STORED, DUPLICATE, REFUSED)}
    log.info("core pushed %d transactions: %s", len(items), counts)
    return jsonify({**counts, "results": [result.to_json() for result in results]})
