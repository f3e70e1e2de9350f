"""The `gateway` SMS adapter: POST /messages of the bank's SMS platform (sms_gateway.openapi.yaml), signed
with SMS_GATEWAY_SECRET (wire.py), over one keep-alive requests.Session.

A message is sent at most once per `client_ref`: after a connection error or a timeout the adapter tries
once more with the same client_ref (and a fresh timestamp and nonce), and the platform answers the
repeat without sending again. Every other failure is an SmsError whose message names the platform's
`code` or the HTTP status, never the text (it holds the code) or the full phone number.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from ...shared.masking import mask_phone
from .. import SmsError
from .wire import HEALTH_PATH, MESSAGES_PATH, signed_headers

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
ACCEPTED = (200, 202)


class GatewaySmsSender:
    def __init__(self, base_url: str, secret: str, timeout: float = 5, *, clock: Callable[[], float] = time.time,
                 session: requests.Session | None = None) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("SMS_GATEWAY_URL must be an http(s) URL without query")
        if len(secret or "") < 16:
            raise ValueError("SMS_GATEWAY_SECRET must be 16+ characters")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            log.warning("SMS_GATEWAY_URL uses plain http to %s: use https in production", parts.hostname)
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.timeout = timeout
        self._secret = secret
        self._clock = clock
        self._session = session or requests.Session()
        self._session.trust_env = False

    def __repr__(self) -> str:
        return f"<GatewaySmsSender {self.host}>"

    def _request(self, method: str, path: str, body: bytes = b"") -> requests.Response:
        headers = signed_headers(self._secret, method, path, body, self._clock())
        if body:
            headers["Content-Type"] = "application/json"
        return self._session.request(method, self.base_url + path, data=body or None, headers=headers,
                                     timeout=self.timeout, allow_redirects=False)

    def send(self, phone: str, text: str) -> None:
        message = {"phone": phone, "text": str(text), "client_ref": uuid.uuid4().hex}
        template = getattr(text, "template", None)
        if template:
            message["template"] = template
            message["params"] = list(getattr(text, "params", ()))
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        response = None
        for attempt in (1, 2):
            try:
                response = self._request("POST", MESSAGES_PATH, body)
                break
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == 2:
                    raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from None
            except requests.RequestException as exc:
                raise SmsError(f"SMS gateway request failed: {type(exc).__name__}") from None
        if response.status_code in ACCEPTED:
            return
        code = _error_code(response)
        if response.status_code == 401:
            log.error("SMS gateway refused the signature (check SMS_GATEWAY_SECRET and the clock): %s", code)
        else:
            log.warning("SMS gateway did not take the message to %s: HTTP %s %s", mask_phone(phone),
                        response.status_code, code)
        raise SmsError(f"SMS gateway answered HTTP {response.status_code} {code}".strip())

    def health(self) -> str | None:
        """None when the platform answers its signed GET /health with 200, else why not (for /readyz)."""
        try:
            response = self._request("GET", HEALTH_PATH)
        except requests.RequestException as exc:
            return f"unreachable: {type(exc).__name__}"
        if response.status_code != 200:
            return f"HTTP {response.status_code} {_error_code(response)}".strip()
        return None


def _error_code(response: requests.Response) -> str:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return ""
    return code if isinstance(code, str) and code.isidentifier() and len(code) <= 40 else ""
