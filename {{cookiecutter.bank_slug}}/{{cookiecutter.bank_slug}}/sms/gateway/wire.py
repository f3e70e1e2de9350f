"""The wire format of the SMS gateway contract (sms_gateway.openapi.yaml), shared by the adapter
(client.py) and the reference server (server.py).

Signing: HMAC-SHA256, keyed with SMS_GATEWAY_SECRET, over the UTF-8 bytes of
    "<timestamp>\\n<nonce>\\n<METHOD>\\n<path>\\n" + body
where timestamp is Unix seconds (X-Sms-Timestamp), nonce is 16-64 letters, digits, "_" or "-" chosen
at random for every request (X-Sms-Nonce; the platform refuses a nonce it saw within the window, so a
captured request cannot be replayed), path is the request path relative to the API's base URL plus
"?query" when there is one, and body is the raw bytes (empty for GET). The lowercase hex digest goes in
X-Sms-Signature.
"""

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

SPEC_PATH = Path(__file__).with_name("sms_gateway.openapi.yaml")

TIMESTAMP_HEADER = "X-Sms-Timestamp"
NONCE_HEADER = "X-Sms-Nonce"
SIGNATURE_HEADER = "X-Sms-Signature"
DEFAULT_WINDOW_SECONDS = 300

NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
PHONE_PATTERN = re.compile(r"1\d{10}")  # a mainland mobile number, 11 digits
CLIENT_REF_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
TEMPLATE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_TEXT_CHARS = 500
MAX_PARAMS = 10
MAX_PARAM_CHARS = 64

MESSAGES_PATH = "/messages"
HEALTH_PATH = "/health"

# The codes of the contract's error body {"code", "message"} and their HTTP status.
INVALID_REQUEST = "invalid_request"  # 400
UNAUTHORIZED = "unauthorized"  # 401: signature missing or wrong, stale timestamp, nonce seen before
REJECTED = "rejected"  # 422: the platform will not send this message (blocked number, content refused)
RATE_LIMITED = "rate_limited"  # 429: too many messages to this number or in total; try later
UNAVAILABLE = "unavailable"  # 503: the platform or its carrier link is down
STATUS_BY_CODE = {INVALID_REQUEST: 400, UNAUTHORIZED: 401, REJECTED: 422, RATE_LIMITED: 429, UNAVAILABLE: 503}


def string_to_sign(timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{path}\n".encode() + body


def sign(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    return hmac.new(secret.encode(), string_to_sign(timestamp, nonce, method, path, body), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def signed_headers(secret: str, method: str, path: str, body: bytes, now: float, nonce: str | None = None) -> dict:
    timestamp, nonce = str(int(now)), nonce or new_nonce()
    return {TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce,
            SIGNATURE_HEADER: sign(secret, timestamp, nonce, method, path, body)}


class NonceCache:
    """Nonces seen within the window (the reference server's; a platform with several instances keeps
    them in a shared store, e.g. Redis SET NX EX)."""

    def __init__(self, window_seconds: int = DEFAULT_WINDOW_SECONDS, clock=time.time) -> None:
        self.window_seconds = window_seconds
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_use(self, nonce: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - 2 * self.window_seconds:
                self._seen.popitem(last=False)
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def signature_problem(secret: str, headers: Mapping[str, str], method: str, path: str, body: bytes, now: float,
                      nonces: NonceCache | None = None, window_seconds: int = DEFAULT_WINDOW_SECONDS) -> str | None:
    """Why a request's signature is not acceptable, or None when it is (the nonce is then used up)."""
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    nonce = headers.get(NONCE_HEADER) or ""
    signature = headers.get(SIGNATURE_HEADER) or ""
    if not timestamp or not nonce or not signature:
        return f"missing {TIMESTAMP_HEADER}, {NONCE_HEADER} or {SIGNATURE_HEADER} header"
    if not re.fullmatch(r"\d{1,12}", timestamp):
        return f"{TIMESTAMP_HEADER} must be Unix seconds"
    if not NONCE_PATTERN.fullmatch(nonce):
        return f"{NONCE_HEADER} must be 16-64 letters, digits, _ or -"
    if abs(now - int(timestamp)) > window_seconds:
        return f"{TIMESTAMP_HEADER} is more than {window_seconds} s away from the server's clock"
    if not hmac.compare_digest(signature.lower().encode(), sign(secret, timestamp, nonce, method, path, body).encode()):
        return "signature does not match (check SMS_GATEWAY_SECRET and what is signed)"
    if nonces is not None and not nonces.first_use(nonce):
        return f"{NONCE_HEADER} was already used (a replayed request)"
    return None


def error_body(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}
