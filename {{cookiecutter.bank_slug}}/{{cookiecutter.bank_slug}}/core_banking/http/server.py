"""The reference server of the core-banking HTTP contract (core_api.openapi.yaml) on top of any
CoreBanking: a worked example for the bank's core team, and what the contract tests run the HTTP
adapter against (wrapped around the built-in ledger).

    app = create_core_server(core, secret)   # a WSGI app; mount it under any prefix (DispatcherMiddleware)

Every request but GET /openapi.yaml must be signed (core_api.signature_problem): 401 with the reason
otherwise. Bodies and parameters that do not follow the contract get 400 invalid_request; refusals
of the core get their code and status (core_api.STATUS_BY_CODE). Nothing a client sends gets a 500.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ...shared.logs import install_scrubber
from ...web.language import fixed_language
from ..port import AccountNotFound, CoreBanking, CoreBankingError, RepaymentRequest, TransferRequest
from .wire import (
    DEFAULT_STATEMENTS_LIMIT,
    DEFAULT_TRANSACTIONS_LIMIT,
    DEFAULT_WINDOW_SECONDS,
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    INVALID_REQUEST,
    MAX_STATEMENTS_LIMIT,
    MAX_TRANSACTIONS_LIMIT,
    SPEC_PATH,
    STATUS_BY_CODE,
    UNAUTHORIZED,
    WireFormatError,
    error_body,
    from_json,
    signature_problem,
    to_json,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
UNSIGNED_PATHS = {"/openapi.yaml"}

bp = Blueprint("core_api", __name__)


@dataclass(frozen=True)
class ServerSettings:
    core: CoreBanking
    secret: str
    window_seconds: int = DEFAULT_WINDOW_SECONDS
    clock: Callable[[], float] = time.time


class InvalidRequest(Exception):
    """The request does not follow the contract; the message says what, never echoing values."""


def create_core_server(core: CoreBanking, secret: str, *, window_seconds: int = DEFAULT_WINDOW_SECONDS,
                       clock: Callable[[], float] = time.time) -> Flask:
    if not secret:
        raise ValueError("the core API secret is empty")
    install_scrubber()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False
    fixed_language(app)  # refusal messages are the contract's Chinese, whatever language the service speaks
    app.extensions["core_server"] = ServerSettings(core, secret, window_seconds, clock)
    app.register_blueprint(bp)
    app.register_error_handler(CoreBankingError, _refused)
    app.register_error_handler(InvalidRequest, _invalid)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crashed)
    return app


def _settings() -> ServerSettings:
    return current_app.extensions["core_server"]


def _core() -> CoreBanking:
    return _settings().core


# --- authentication, errors ---------------------------------------------------------------------

@bp.before_request
def _check_signature() -> Response | None:
    if request.path in UNSIGNED_PATHS:
        return None
    settings = _settings()
    path = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    problem = signature_problem(settings.secret, request.headers, request.method, path,
                                request.get_data(cache=True), settings.clock(), settings.window_seconds)
    if problem:
        log.warning("core API: refused %s %s: %s", request.method, request.path, problem)
        return _error(UNAUTHORIZED, problem)
    return None


def _error(code: str, message: str, status: int | None = None) -> Response:
    response = jsonify(error_body(code, message))
    response.status_code = status or STATUS_BY_CODE.get(code, 500)
    return response


def _refused(exc: CoreBankingError) -> Response:
    code = exc.code if exc.code in STATUS_BY_CODE else CoreBankingError.code  # a subclass the contract lacks
    return _error(code, str(exc.message))


def _invalid(exc: InvalidRequest) -> Response:
    return _error(INVALID_REQUEST, str(exc))


def _http_error(exc: HTTPException) -> Response:  # 404 of an unknown path, 405, 413 ...
    code = INVALID_REQUEST if exc.code == 400 else (exc.name or "error").lower().replace(" ", "_")
    return _error(code, exc.description or exc.name, exc.code or 500)


def _crashed(exc: Exception) -> Response:
    # The log record factory (shared/logs.py) masks card numbers in the traceback and escapes the path.
    log.error("core API: %s %s crashed", request.method, request.path, exc_info=exc)
    return _error("internal_error", "internal error", 500)


# --- input ------------------------------------------------------------------------------------

def _json_object() -> dict[str, Any]:
    try:
        data = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):  # not JSON, not UTF-8, a 5,000-digit number, nested too deeply
        raise InvalidRequest("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    return data


def _strings(*names: str) -> dict[str, str]:
    data = _json_object()
    for name in names:
        if not isinstance(data.get(name), str):
            raise InvalidRequest(f"{name} must be a string")
        try:
            data[name].encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRequest(f"{name} must be valid Unicode text (no lone surrogates)") from None
    return {name: data[name] for name in names}


def _limit(default: int = DEFAULT_TRANSACTIONS_LIMIT, maximum: int = MAX_TRANSACTIONS_LIMIT) -> int:
    raw = request.args.get("limit", str(default))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidRequest(f"limit must be a whole number from 1 to {maximum}")
    return int(raw)


def _keyed_request(cls: type):
    """A TransferRequest or RepaymentRequest whose body's idempotency_key equals the header's."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise InvalidRequest(f"{IDEMPOTENCY_HEADER} must be 1-128 printable ASCII characters")
    try:
        keyed = from_json(cls, _json_object())
    except WireFormatError as exc:
        raise InvalidRequest(str(exc)) from None
    if keyed.idempotency_key != key:  # the body is signed, the header is not: they must agree
        raise InvalidRequest(f"idempotency_key in the body must equal the {IDEMPOTENCY_HEADER} header")
    return keyed


def _transfer_request() -> TransferRequest:
    return _keyed_request(TransferRequest)


def _settle_key() -> str:
    """The held transfer's key: in the Idempotency-Key header and (signed) the body, equal."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise InvalidRequest(f"{IDEMPOTENCY_HEADER} must be 1-128 printable ASCII characters")
    if _strings("idempotency_key")["idempotency_key"] != key:
        raise InvalidRequest(f"idempotency_key in the body must equal the {IDEMPOTENCY_HEADER} header")
    return key


# --- operations -------------------------------------------------------------------------------

@bp.get("/openapi.yaml")
def openapi() -> Response:
    return Response(SPEC_PATH.read_bytes(), mimetype="application/yaml")


@bp.post("/accounts/lookup")
def find_account_by_card() -> Response:
    account = _core().find_account_by_card(_strings("card_number")["card_number"])
    if account is None:
        raise AccountNotFound()
    return jsonify(to_json(account))


@bp.get("/accounts/<account_id>")
def get_account(account_id: str) -> Response:
    return jsonify(to_json(_core().get_account(account_id)))


@bp.post("/accounts/<account_id>/verify-identity")
def verify_identity(account_id: str) -> Response:
    body = _strings("name", "id_number", "phone")
    verified = _core().verify_identity(account_id, body["name"], body["id_number"], body["phone"])
    return jsonify({"verified": bool(verified)})


@bp.post("/accounts/<account_id>/verify-pin")
def verify_pin(account_id: str) -> Response:
    return jsonify({"verified": bool(_core().verify_pin(account_id, _strings("pin")["pin"]))})


@bp.get("/accounts/<account_id>/balance")
def balance(account_id: str) -> Response:
    return jsonify(to_json(_core().balance(account_id)))


@bp.get("/accounts/<account_id>/transactions")
def recent_transactions(account_id: str) -> Response:
    transactions = _core().recent_transactions(account_id, limit=_limit())
    return jsonify({"transactions": [to_json(item) for item in transactions]})


@bp.post("/transfers")
def transfer() -> tuple[Response, int]:
    result = _core().transfer(_transfer_request())
    return jsonify(to_json(result)), 200 if result.replayed else 201


@bp.get("/accounts/<account_id>/credit-card")
def credit_card(account_id: str) -> Response:
    return jsonify(to_json(_core().credit_card(account_id)))


@bp.get("/accounts/<account_id>/credit-statements")
def credit_statements(account_id: str) -> Response:
    statements = _core().credit_statements(account_id, limit=_limit(DEFAULT_STATEMENTS_LIMIT, MAX_STATEMENTS_LIMIT))
    return jsonify({"statements": [to_json(item) for item in statements]})


@bp.post("/credit-card-repayments")
def repay_credit_card() -> tuple[Response, int]:
    result = _core().repay_credit_card(_keyed_request(RepaymentRequest))
    return jsonify(to_json(result)), 200 if result.replayed else 201


@bp.post("/transfers/release")
def release_transfer() -> tuple[Response, int]:
    result = _core().release_transfer(_settle_key())
    return jsonify(to_json(result)), 200


@bp.post("/transfers/revoke")
def revoke_transfer() -> tuple[Response, int]:
    result = _core().revoke_transfer(_settle_key())
    return jsonify(to_json(result)), 200


@bp.get("/health")
def ping() -> Response:
    _core().ping()
    return jsonify(status="ok")


def main(argv: list[str] | None = None) -> None:
    """`python -m <package>.core_banking.http.server --database-url URL`: the reference server around the
    built-in ledger of that database (a stand-in core for demos and the production-stack test). The secret is
    read from CORE_API_SECRET, never from the command line; the ledger's card, phone and ID numbers are encrypted
    at rest with DATA_KEYS and looked up with DATA_LOOKUP_KEY, from the environment as the service reads them
    (the same values as the service's .env when both use one database)."""
    import argparse
    import os

    from sqlalchemy import create_engine
    from werkzeug.serving import run_simple

    from ...shared import fieldcrypt
    from ..ledger.core import LedgerCore

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020)
    parser.add_argument("--database-url", required=True, help="the database whose ledger tables play the core")
    args = parser.parse_args(argv)
    secret = os.environ.get("CORE_API_SECRET", "")
    if len(secret) < 16:
        parser.error("set CORE_API_SECRET (16+ characters, the same as the service's)")
    try:
        keyring = fieldcrypt.Keyring.from_config(os.environ.get("DATA_KEYS", ""), os.environ.get("DATA_LOOKUP_KEY", ""))
    except fieldcrypt.KeyConfigError as exc:
        parser.error(str(exc))
    fieldcrypt.install({}, keyring)
    core = LedgerCore(create_engine(args.database_url, pool_pre_ping=True))
    run_simple(args.host, args.port, create_core_server(core, secret), threaded=True)


if __name__ == "__main__":
    main()
