"""The HTTP adapter of the CoreBanking port: the bank's own core (or its ESB) behind the contract
in core_api.openapi.yaml, reached with one keep-alive requests.Session and HMAC-signed requests.

What the customer's page gets:
- a refusal the contract names (a 4xx whose `code` is in port.ERRORS_BY_CODE, or core_error) -> that
  exception, with the core's message (card, ID and phone numbers masked);
- anything else -> CoreUnavailable: timeouts, connection errors, redirects, 5xx, 401 (signature or
  clock: logged as an error, it needs an operator), other 4xx codes, and answers that do not have
  the contract's shape. Its message never holds a card number or the URL.

Retries: read operations, transfers and repayments are retried once after a connection error or a timeout
(transfers and repayments with the same Idempotency-Key, so the core posts them at most once). Identity and PIN
checks are not: a core may count attempts.
"""

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from ...shared.masking import scrub
from ..port import (
    ERRORS_BY_CODE,
    Account,
    AccountNotFound,
    Balance,
    CoreBankingError,
    CoreRejectedRequest,
    CoreUnavailable,
    CreditCard,
    CreditStatement,
    RepaymentRequest,
    RepaymentResult,
    Transaction,
    TransferRequest,
    TransferResult,
)
from .wire import (
    ACCOUNT_ID_PATTERN,
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_STATEMENTS_LIMIT,
    MAX_TRANSACTIONS_LIMIT,
    OPERATIONS,
    WireFormatError,
    from_json,
    signed_headers,
    to_json,
)

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 200
# The refusals the contract names: the port's codes, and core_error for a refusal with only a message.
REFUSALS: dict[str, type[CoreBankingError]] = {**ERRORS_BY_CODE, CoreBankingError.code: CoreBankingError}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class HttpCoreBanking:
    """CoreBanking over HTTP (see the module docstring). `base_url` is the API root, without the
    operation paths (https://esb.bank.internal/core/v1); `secret` is CORE_API_SECRET."""

    def __init__(self, base_url: str, secret: str, timeout: float = 5, *, clock: Callable[[], float] = time.time,
                 session: requests.Session | None = None) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("CORE_BANKING_URL must be an http(s) URL without query")
        if not secret:
            raise ValueError("CORE_API_SECRET is empty")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            log.warning("CORE_BANKING_URL uses plain http to %s: use https in production", parts.hostname)
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.timeout = timeout
        self._secret = secret
        self._clock = clock
        self._session = session or requests.Session()
        self._session.trust_env = False  # no proxy or .netrc from the environment for signed, personal data

    def __repr__(self) -> str:  # neither the secret nor any credentials in the URL
        return f"<HttpCoreBanking {self.host}>"

    def close(self) -> None:
        self._session.close()

    # --- the port ------------------------------------------------------------------------------

    def find_account_by_card(self, card_number: str) -> Account | None:
        try:
            data = self._call("find_account_by_card", body={"card_number": card_number}, retry=True)
        except AccountNotFound:
            return None
        return self._decode(Account, data, "find_account_by_card")

    def get_account(self, account_id: str) -> Account:
        data = self._call("get_account", account_id=account_id, retry=True)
        return self._decode(Account, data, "get_account")

    def verify_identity(self, account_id: str, name: str, id_number: str, phone: str) -> bool:
        body = {"name": name, "id_number": id_number, "phone": phone}
        return self._verified("verify_identity", account_id, body)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        return self._verified("verify_pin", account_id, {"pin": pin})

    def balance(self, account_id: str) -> Balance:
        return self._decode(Balance, self._call("balance", account_id=account_id, retry=True), "balance")

    def recent_transactions(self, account_id: str, limit: int = 10) -> list[Transaction]:
        limit = max(0, min(int(limit), MAX_TRANSACTIONS_LIMIT))  # as the ledger does
        if not limit:
            return []
        data = self._call("recent_transactions", account_id=account_id, query=f"limit={limit}", retry=True)
        items = data.get("transactions") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise self._malformed("recent_transactions", "transactions must be a list")
        return [self._decode(Transaction, item, "recent_transactions") for item in items]

    def transfer(self, request: TransferRequest) -> TransferResult:
        key = request.idempotency_key
        if not isinstance(key, str) or not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
            log.warning("transfer refused before sending: idempotency key is not 1-128 printable ASCII characters")
            raise CoreBankingError("交易流水号无效，请重新发起")
        data = self._call("transfer", body=to_json(request), headers={IDEMPOTENCY_HEADER: key}, retry=True)
        return self._decode(TransferResult, data, "transfer")

    def credit_card(self, account_id: str) -> CreditCard:
        return self._decode(CreditCard, self._call("credit_card", account_id=account_id, retry=True), "credit_card")

    def credit_statements(self, account_id: str, limit: int = 6) -> list[CreditStatement]:
        limit = max(1, min(int(limit), MAX_STATEMENTS_LIMIT))  # as the ledger does
        data = self._call("credit_statements", account_id=account_id, query=f"limit={limit}", retry=True)
        items = data.get("statements") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise self._malformed("credit_statements", "statements must be a list")
        return [self._decode(CreditStatement, item, "credit_statements") for item in items]

    def repay_credit_card(self, request: RepaymentRequest) -> RepaymentResult:
        key = request.idempotency_key
        if not isinstance(key, str) or not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
            log.warning("repayment refused before sending: idempotency key is not 1-128 printable ASCII characters")
            raise CoreBankingError("交易流水号无效，请重新发起")
        data = self._call("repay_credit_card", body=to_json(request), headers={IDEMPOTENCY_HEADER: key}, retry=True)
        return self._decode(RepaymentResult, data, "repay_credit_card")

    def release_transfer(self, idempotency_key: str) -> TransferResult:
        return self._settle("release_transfer", idempotency_key)

    def revoke_transfer(self, idempotency_key: str) -> TransferResult:
        return self._settle("revoke_transfer", idempotency_key)

    def _settle(self, operation: str, key: str) -> TransferResult:
        """Release or revoke a held transfer: retried once like a transfer (the core settles a hold once)."""
        if not isinstance(key, str) or not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
            raise CoreBankingError("交易流水号无效，请重新发起")
        data = self._call(operation, body={"idempotency_key": key}, headers={IDEMPOTENCY_HEADER: key}, retry=True)
        return self._decode(TransferResult, data, operation)

    def ping(self) -> None:
        data = self._call("ping")  # not retried: readiness wants the truth of one call
        if not isinstance(data, dict) or data.get("status") != "ok":
            raise self._malformed("ping", "status must be ok")

    # --- HTTP ----------------------------------------------------------------------------------

    def _call(self, operation: str, *, account_id: str | None = None, query: str = "", body: dict | None = None,
              headers: dict[str, str] | None = None, retry: bool = False) -> Any:
        method, path = OPERATIONS[operation]
        if account_id is not None:
            if not isinstance(account_id, str) or not ACCOUNT_ID_PATTERN.fullmatch(account_id):
                raise AccountNotFound()  # no account can have an id the contract cannot carry
            path = path.replace("{account_id}", account_id)
        if query:
            path = f"{path}?{query}"
        data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        attempts = 2 if retry else 1
        for attempt in range(1, attempts + 1):
            request_headers = {"Accept": "application/json", **(headers or {}),
                               **signed_headers(self._secret, method, path, data, self._clock())}
            if body is not None:
                request_headers["Content-Type"] = "application/json; charset=utf-8"
            try:
                response = self._session.request(method, self.base_url + path, data=data or None,
                                                 headers=request_headers, timeout=self.timeout, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt < attempts:
                    log.warning("core %s: %s, retrying once", operation, type(exc).__name__)
                    continue
                log.warning("core %s failed: %s", operation, type(exc).__name__)
                raise CoreUnavailable() from None  # requests' message holds the URL
            except requests.RequestException as exc:
                log.warning("core %s failed: %s", operation, type(exc).__name__)
                raise CoreUnavailable() from None
            return self._answer(operation, response)
        raise AssertionError("unreachable")

    def _answer(self, operation: str, response: requests.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return response.json()
            except ValueError:
                raise self._malformed(operation, f"HTTP {status} without a JSON body") from None
        code, message = _error_fields(response)
        if status == 400 and code == CoreRejectedRequest.code:  # our request broke the contract: log, 400
            log.error("core %s refused the request as invalid: %s", operation, scrub(message or ""))
            raise CoreRejectedRequest()
        if code in REFUSALS and (400 <= status < 500 or (status == 503 and code == CoreUnavailable.code)):
            raise REFUSALS[code](message)
        level = logging.WARNING if status >= 500 else logging.ERROR  # a 4xx here is a configuration problem
        log.log(level, "core %s answered HTTP %s %s: %s", operation, status, code or "(no code)",
                scrub(message or ""))
        raise CoreUnavailable()

    def _decode(self, cls: type, data: Any, operation: str) -> Any:
        try:
            return from_json(cls, data)
        except WireFormatError as exc:
            raise self._malformed(operation, str(exc)) from None

    def _verified(self, operation: str, account_id: str, body: dict[str, str]) -> bool:
        """An unknown account is no match, whether the core says 404 or verified: false (as the ledger does)."""
        try:
            data = self._call(operation, account_id=account_id, body=body)
        except AccountNotFound:
            return False
        verified = data.get("verified") if isinstance(data, dict) else None
        if not isinstance(verified, bool):
            raise self._malformed(operation, "verified must be a boolean")
        return verified

    @staticmethod
    def _malformed(operation: str, reason: str) -> CoreUnavailable:
        log.error("core %s: answer does not follow the contract: %s", operation, reason)
        return CoreUnavailable()


def _error_fields(response: requests.Response) -> tuple[str, str | None]:
    """`code` and a customer-safe `message` of an error body ({"code", "message"}), if it has them."""
    try:
        data = response.json()
    except ValueError:
        return "", None
    if not isinstance(data, dict):
        return "", None
    code = data.get("code") if isinstance(data.get("code"), str) else ""
    message = data.get("message")
    if not isinstance(message, str) or not message.strip():
        return code, None
    return code, scrub(message.strip()[:MAX_MESSAGE_CHARS])
