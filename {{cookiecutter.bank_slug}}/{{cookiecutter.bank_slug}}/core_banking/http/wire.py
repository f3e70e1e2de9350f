"""The wire format of the core-banking HTTP contract (core_api.openapi.yaml), shared by the HTTP
adapter (client.py) and the reference server (server.py): the operations, request signing,
the JSON shape of the port's types and the HTTP status of every error code.

Signing: HMAC-SHA256, keyed with CORE_API_SECRET, over
    "<timestamp>\\n<METHOD>\\n<path>\\n" + body
where timestamp is Unix seconds (also sent as X-Core-Timestamp), path is the request path relative
to the API's base URL plus "?query" when there is one (exactly as sent), and body is the raw bytes
(empty for GET). The lowercase hex digest goes in X-Core-Signature.
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_origin

SPEC_PATH = Path(__file__).with_name("core_api.openapi.yaml")

TIMESTAMP_HEADER = "X-Core-Timestamp"
SIGNATURE_HEADER = "X-Core-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_WINDOW_SECONDS = 300

# Account ids travel in the path: unreserved characters only, so nobody has to agree on escaping.
ACCOUNT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII: a valid header value
DEFAULT_TRANSACTIONS_LIMIT = 10
MAX_TRANSACTIONS_LIMIT = 100
DEFAULT_STATEMENTS_LIMIT = 6
MAX_STATEMENTS_LIMIT = 24

# Codes the contract adds to port.ERRORS_BY_CODE; the adapter treats both as the core being unusable.
INVALID_REQUEST = "invalid_request"  # 400: the body, a parameter or a header does not follow the contract
UNAUTHORIZED = "unauthorized"  # 401: signature missing, wrong, or timestamp outside the window

STATUS_BY_CODE = {
    "account_not_found": 404,
    "payee_not_found": 404,
    "account_not_active": 422,
    "payee_name_mismatch": 422,
    "same_account": 422,
    "invalid_amount": 422,
    "insufficient_funds": 422,
    "idempotency_conflict": 409,
    "not_credit_card": 422,
    "not_own_account": 422,
    "repayment_exceeds_owed": 422,
    "transfer_not_held": 404,
    "transfer_already_released": 409,
    "transfer_already_revoked": 409,
    "core_error": 422,  # any other refusal (the port's base CoreBankingError): the message says why
    "core_unavailable": 503,
    INVALID_REQUEST: 400,
    UNAUTHORIZED: 401,
}


class Operation(NamedTuple):
    method: str
    path: str  # as in the OpenAPI document


OPERATIONS = {
    "find_account_by_card": Operation("POST", "/accounts/lookup"),
    "get_account": Operation("GET", "/accounts/{account_id}"),
    "verify_identity": Operation("POST", "/accounts/{account_id}/verify-identity"),
    "verify_pin": Operation("POST", "/accounts/{account_id}/verify-pin"),
    "balance": Operation("GET", "/accounts/{account_id}/balance"),
    "recent_transactions": Operation("GET", "/accounts/{account_id}/transactions"),
    "transfer": Operation("POST", "/transfers"),
    "credit_card": Operation("GET", "/accounts/{account_id}/credit-card"),
    "credit_statements": Operation("GET", "/accounts/{account_id}/credit-statements"),
    "repay_credit_card": Operation("POST", "/credit-card-repayments"),
    "release_transfer": Operation("POST", "/transfers/release"),
    "revoke_transfer": Operation("POST", "/transfers/revoke"),
    "ping": Operation("GET", "/health"),
}


# --- signing ---------------------------------------------------------------------------------

def string_to_sign(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def sign(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    message = string_to_sign(timestamp, method, path, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, method: str, path: str, body: bytes, now: float) -> dict[str, str]:
    timestamp = str(int(now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, method, path, body)}


def signature_problem(secret: str, headers: Mapping[str, str], method: str, path: str, body: bytes, now: float,
                      window_seconds: int = DEFAULT_WINDOW_SECONDS) -> str | None:
    """Why a request's signature is not acceptable, or None when it is."""
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    signature = headers.get(SIGNATURE_HEADER) or ""
    if not timestamp or not signature:
        return f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header"
    if not re.fullmatch(r"[0-9]{1,12}", timestamp):  # ASCII only: \d takes any Unicode digit
        return f"{TIMESTAMP_HEADER} must be Unix seconds"
    if abs(now - int(timestamp)) > window_seconds:
        return f"{TIMESTAMP_HEADER} is more than {window_seconds} s away from the server's clock"
    if not hmac.compare_digest(signature.lower().encode(), sign(secret, timestamp, method, path, body).encode()):
        return "signature does not match (check CORE_API_SECRET and what is signed)"
    return None


# --- JSON shapes -----------------------------------------------------------------------------

class WireFormatError(ValueError):
    """A JSON document does not have the contract's shape. The message names the field, never its value."""


def utc_iso(value: datetime) -> str:
    """ISO 8601 in UTC with a Z: 2024-05-01T08:30:00Z. Naive datetimes are taken as UTC (the port's rule)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def parse_utc(value: Any, name: str = "timestamp") -> datetime:
    """An ISO 8601 date-time with an offset (Z or +08:00) as the port's naive UTC datetime."""
    if not isinstance(value, str):
        raise WireFormatError(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WireFormatError(f"{name} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None or "T" not in value.upper():
        raise WireFormatError(f"{name} must be a date-time with a UTC offset (Z)")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def parse_date(value: Any, name: str = "date") -> date:
    """An ISO 8601 calendar date (2024-05-01), as the bank's calendar has it."""
    if not isinstance(value, str) or len(value) != 10:
        raise WireFormatError(f"{name} must be an ISO 8601 date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise WireFormatError(f"{name} is not an ISO 8601 date (YYYY-MM-DD)") from None


def to_json(value: Any) -> dict[str, Any]:
    """A port dataclass (Account, Balance, Transaction, TransferRequest, TransferResult, CreditCard,
    CreditStatement, RepaymentRequest, RepaymentResult) as JSON."""
    return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    return value


def from_json(cls: type, data: Any) -> Any:
    """A port dataclass from JSON: every field without a default is required, each must have its
    type (integers are never booleans or floats), unknown fields are ignored."""
    if not is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if not isinstance(data, dict):
        raise WireFormatError(f"{cls.__name__} must be a JSON object")
    values = {}
    for field in fields(cls):
        name = f"{cls.__name__}.{field.name}"
        if field.name not in data:
            if field.default is MISSING:
                raise WireFormatError(f"{name} is missing")
            continue
        values[field.name] = _decode(field.type, data[field.name], name)
    return cls(**values)


def _decode(kind: type, value: Any, name: str) -> Any:
    if kind is datetime:
        return parse_utc(value, name)
    if kind is date:
        return parse_date(value, name)
    if get_origin(kind) is tuple:  # tuple[SomeDataclass, ...]: a JSON array of objects
        if not isinstance(value, list):
            raise WireFormatError(f"{name} must be a JSON array")
        item_type = get_args(kind)[0]
        return tuple(from_json(item_type, item) for item in value)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise WireFormatError(f"{name} must be an integer")
    if kind in (str, bool) and not isinstance(value, kind):
        raise WireFormatError(f"{name} must be a {'string' if kind is str else 'boolean'}")
    return value


def error_body(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}
