"""The app channel: a transaction alert pushed to the bank's mobile banking app through its push platform,
as a signed webhook — the contract is docs/app-push-openapi.yaml (the reference receiver: app_push_server.py).

    POST <APP_PUSH_URL>/events   {"event_id", "account_id", "card_mask", "kind", "amount_fen",
                                  "balance_after_fen", "occurred_at", "text", "deliver_before", "link"}

Signing, like the SMS gateway's: HMAC-SHA256 keyed with APP_PUSH_SECRET over
"<timestamp>\\n<nonce>\\nPOST\\n/events\\n" + body, lowercase hex in X-App-Signature, with X-App-Timestamp
(Unix seconds) and X-App-Nonce (16-64 of [A-Za-z0-9_-], new for every request).

Exactly one channel per transaction: every attempt carries the same `event_id` (notice-<id>), which the
platform accepts once (a repeat is answered 200 `duplicate`); `deliver_before` is the end of this attempt's
timeout, after which the platform must drop an event it did not answer with 2xx. So a retry never doubles
the alert, and when the app gives up the bank may fall back to WeChat or SMS safely. What the answers mean:

* 200 / 202 (also `duplicate`): delivered by the app;
* 404 `not_registered` / 410 `uninstalled` / 422 `rejected`: the app cannot deliver — fall back now;
* 408, 429, 5xx, a timeout or no connection: retry the app later (the same event_id), up to
  APP_PUSH_MAX_ATTEMPTS attempts; then fall back.
* 400 / 401 (our request is wrong or the secret differs): fall back now and say so in the log.
"""

import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import requests

log = logging.getLogger(__name__)

EVENTS_PATH = "/events"
TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER = "X-App-Timestamp", "X-App-Nonce", "X-App-Signature"
DELIVERED, FALLBACK, RETRY = "delivered", "fallback", "retry"
RETRY_STATUSES = {408, 429}


@dataclass(frozen=True)
class AppAnswer:
    outcome: str  # delivered | fallback | retry
    error: str = ""


def string_to_sign(timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{path}\n".encode() + body


def sign(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    return hmac.new(secret.encode(), string_to_sign(timestamp, nonce, method, path, body), hashlib.sha256).hexdigest()


def configured(config) -> bool:
    return bool(config.get("APP_PUSH_URL")) and len(config.get("APP_PUSH_SECRET") or "") >= 16


def event_id(row_id: int) -> str:
    return f"notice-{row_id}"


def event(row, card_mask: str, text: str, deliver_before: datetime, link: str = "") -> dict:
    return {"event_id": event_id(row.id), "account_id": row.account_id, "card_mask": card_mask, "kind": row.kind,
            "amount_fen": int(row.amount_fen), "link": link,
            "balance_after_fen": int(row.balance_after_fen) if row.balance_after_fen is not None else None,
            "occurred_at": row.occurred_at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
            "text": str(text), "deliver_before": deliver_before.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")}


class AppPushClient:
    """One keep-alive session to the push platform (called from the dispatcher's worker threads)."""

    def __init__(self, config, session: requests.Session | None = None, clock=time.time) -> None:
        self.base_url = config["APP_PUSH_URL"]
        self.timeout = float(config.get("APP_PUSH_TIMEOUT_SECONDS", 5.0))
        self._secret = config["APP_PUSH_SECRET"]
        self._link = config.get("APP_DEEP_LINK") or ""
        self._base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        self._clock = clock
        self._session = session or requests.Session()
        self._session.trust_env = False

    def push(self, row, card_mask: str, text: str) -> AppAnswer:
        now = datetime.fromtimestamp(self._clock(), UTC).replace(tzinfo=None)
        body = json.dumps(event(row, card_mask, text, now + timedelta(seconds=self.timeout), self.link(row)),
                          ensure_ascii=False, separators=(",", ":")).encode()
        timestamp, nonce = str(int(self._clock())), secrets.token_hex(16)
        headers = {TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce, "Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(self._secret, timestamp, nonce, "POST", EVENTS_PATH, body),
                   "Idempotency-Key": event_id(row.id)}
        try:
            response = self._session.post(self.base_url + EVENTS_PATH, data=body, headers=headers,
                                          timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return AppAnswer(RETRY, f"app push: {type(exc).__name__}")
        return classify(response.status_code, _code(response))


    def link(self, row) -> str:
        """The alert's page in the app (APP_DEEP_LINK with {url}: /h5/alerts/<id>), "" without one."""
        if "{url}" not in self._link:
            return ""
        return self._link.replace("{url}", quote(f"{self._base}/h5/alerts/{row.id}", safe=""))


def _code(response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("code") or data.get("status") or "")[:40] if isinstance(data, dict) else ""


def classify(status: int, code: str = "") -> AppAnswer:
    if status in (200, 202):
        return AppAnswer(DELIVERED)
    error = f"app push: HTTP {status}{' ' + code if code else ''}"[:200]
    if status in RETRY_STATUSES or status >= 500:
        return AppAnswer(RETRY, error)
    if status in (400, 401):
        log.error("the app push platform refused our request (%s): check APP_PUSH_SECRET and the contract", error)
    return AppAnswer(FALLBACK, error)
