"""The reference server of the SMS gateway contract (sms_gateway.openapi.yaml): a worked example for the
bank's SMS platform team, what the contract tests run the `gateway` adapter against, and the SMS side of
the production-stack test. It does not reach any carrier: it keeps the messages it accepts in memory
(the last 1,000) and lists them on GET /messages?phone=... (signed; a reference-server extension that a
real platform must NOT offer, since the texts hold one-time codes).

    python -m <package>.sms.gateway.server --port 8025      # the secret comes from SMS_GATEWAY_SECRET

Every request but GET /openapi.yaml must be signed (wire.signature_problem): 401 with the reason
otherwise; a nonce may be used once. Bodies that do not follow the contract get 400 invalid_request; a
repeated client_ref sends nothing again and answers the first message's id (200).
"""

import argparse
import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ...shared.logs import install_scrubber
from .wire import (
    CLIENT_REF_PATTERN,
    DEFAULT_WINDOW_SECONDS,
    INVALID_REQUEST,
    MAX_PARAM_CHARS,
    MAX_PARAMS,
    MAX_TEXT_CHARS,
    PHONE_PATTERN,
    REJECTED,
    SPEC_PATH,
    STATUS_BY_CODE,
    TEMPLATE_PATTERN,
    UNAUTHORIZED,
    NonceCache,
    error_body,
    signature_problem,
)

MAX_BODY_BYTES = 16 * 1024
KEPT_MESSAGES = 1000
UNSIGNED_PATHS = {"/openapi.yaml"}

bp = Blueprint("sms_gateway", __name__)


class Store:
    """The accepted messages by client_ref, oldest first."""

    def __init__(self, size: int = KEPT_MESSAGES) -> None:
        self.size = size
        self._by_ref: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, message: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The stored message and whether it is new (False: a repeat of its client_ref)."""
        with self._lock:
            if message["client_ref"] in self._by_ref:
                return self._by_ref[message["client_ref"]], False
            self._by_ref[message["client_ref"]] = message
            while len(self._by_ref) > self.size:
                self._by_ref.popitem(last=False)
            return message, True

    def messages(self, phone: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self._by_ref.values() if phone in (None, m["phone"])]


class Settings:
    def __init__(self, secret: str, window_seconds: int, clock: Callable[[], float], blocked: Iterable[str]) -> None:
        self.secret = secret
        self.window_seconds = window_seconds
        self.clock = clock
        self.nonces = NonceCache(window_seconds, clock)
        self.store = Store()
        self.blocked = frozenset(blocked)


def create_sms_server(secret: str, *, window_seconds: int = DEFAULT_WINDOW_SECONDS,
                      clock: Callable[[], float] = time.time, blocked_phones: Iterable[str] = ()) -> Flask:
    """The reference server; `blocked_phones` are refused with 422 rejected (to show and test refusals)."""
    if len(secret or "") < 16:
        raise ValueError("the SMS gateway secret must be 16+ characters")
    install_scrubber()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False
    app.extensions["sms_gateway"] = Settings(secret, window_seconds, clock, blocked_phones)
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _settings() -> Settings:
    return current_app.extensions["sms_gateway"]


def _error(code: str, message: str, status: int | None = None) -> Response:
    response = jsonify(error_body(code, message))
    response.status_code = status or STATUS_BY_CODE.get(code, 500)
    return response


def _http_error(exc: HTTPException) -> Response:  # 404, 405, 413 ...
    code = INVALID_REQUEST if exc.code == 400 else (exc.name or "error").lower().replace(" ", "_")
    return _error(code, exc.description or exc.name, exc.code or 500)


@bp.before_request
def _check_signature() -> Response | None:
    if request.path in UNSIGNED_PATHS:
        return None
    settings = _settings()
    path = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    problem = signature_problem(settings.secret, request.headers, request.method, path, request.get_data(cache=True),
                                settings.clock(), settings.nonces, settings.window_seconds)
    return _error(UNAUTHORIZED, problem) if problem else None


@bp.get("/openapi.yaml")
def openapi() -> Response:
    return Response(SPEC_PATH.read_bytes(), mimetype="application/yaml")


@bp.get("/health")
def health() -> Response:
    return jsonify(status="ok")


def _message_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    if not isinstance(data.get("phone"), str) or not PHONE_PATTERN.fullmatch(data["phone"]):
        return "phone must be an 11-digit mainland mobile number"
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
        return f"text must be 1-{MAX_TEXT_CHARS} characters"
    if not isinstance(data.get("client_ref"), str) or not CLIENT_REF_PATTERN.fullmatch(data["client_ref"]):
        return "client_ref must be 1-64 letters, digits, _ or -"
    template = data.get("template")
    if template is not None and (not isinstance(template, str) or not TEMPLATE_PATTERN.fullmatch(template)):
        return "template must be a lowercase name (a-z, 0-9, _; at most 32)"
    params = data.get("params", [])
    if (not isinstance(params, list) or len(params) > MAX_PARAMS
            or not all(isinstance(p, str) and len(p) <= MAX_PARAM_CHARS for p in params)):
        return f"params must be a list of at most {MAX_PARAMS} strings of at most {MAX_PARAM_CHARS} characters"
    return None


@bp.post("/messages")
def send_message() -> tuple[Response, int] | Response:
    try:
        data = json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        data = None
    problem = _message_problem(data)
    if problem:
        return _error(INVALID_REQUEST, problem)
    settings = _settings()
    if data["phone"] in settings.blocked:
        return _error(REJECTED, "该号码不接收短信 this number does not take messages")
    message = {"message_id": uuid.uuid4().hex, "client_ref": data["client_ref"], "phone": data["phone"],
               "text": data["text"], "template": data.get("template"), "params": data.get("params", []),
               "accepted_at": int(settings.clock())}
    stored, new = settings.store.add(message)
    return jsonify(message_id=stored["message_id"], status="accepted"), 202 if new else 200


@bp.get("/messages")
def list_messages() -> Response:
    phone = request.args.get("phone") or None
    return jsonify(messages=_settings().store.messages(phone))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reference server of the SMS gateway contract (keeps messages "
                                     "in memory, sends nothing). The secret is read from SMS_GATEWAY_SECRET.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    secret = os.environ.get("SMS_GATEWAY_SECRET", "")
    if len(secret) < 16:
        parser.error("set SMS_GATEWAY_SECRET (16+ characters, the same as the service's)")
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, create_sms_server(secret), threaded=True)


if __name__ == "__main__":
    main()
