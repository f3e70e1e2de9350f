"""The SMS port (`SmsSender`): how one-time codes reach a customer's phone.

SMS_SENDER chooses the adapter:
- `gateway`: the bank's own SMS platform behind the signed HTTP contract in gateway/sms_gateway.openapi.yaml
  (SMS_GATEWAY_URL, SMS_GATEWAY_SECRET; gateway/client.py; reference server gateway/server.py);
- `tencentcloud`: Tencent Cloud SMS (SendSms, signature v3 TC3-HMAC-SHA256; tencentcloud.py);
- `sandbox` (default): posts each message to the mock WeChat server (`POST /_mock/sms` at
  WECHAT_SANDBOX_API_URL), where the simulator shows it as a 短信 card; when the mock is unreachable
  the message stays in this process's `OUTBOX`, which tests read. Outside sandbox mode it refuses.
- `package.module:Factory`: the bank's provider. `Factory(config)` is called once per app with the
  app's configuration and returns an object with `send(phone, text)`. See docs/sms.md.

Adapters raise `SmsError` when a message cannot be sent, with a message free of the text (it holds
the code) and of the full phone number. Nothing here logs the text.
"""

import hashlib
import hmac
import importlib
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import requests
from flask import current_app

from .. import settings
from ..settings.sections import Sms
from ..shared.masking import mask_phone
from ..shared.timeutil import utcnow
from ..wechat.client.base import sandbox_url

log = logging.getLogger(__name__)

SANDBOX = "sandbox"
GATEWAY = "gateway"
TENCENTCLOUD = "tencentcloud"
BUILT_IN = (SANDBOX, GATEWAY, TENCENTCLOUD)
MOCK_SMS_PATH = "/_mock/sms"
MOCK_TOKEN_HEADER = "X-Mock-Token"  # the mock's control endpoints want it (sandbox/mock_api/guard.py)


def mock_control_token(secret_key: str) -> str:
    """The token of the mock WeChat API's control endpoints, derived from SECRET_KEY: the service (this sender)
    and a mock started from the same configuration agree on it; a web page in the browser cannot know it."""
    return hmac.new(secret_key.encode(), b"sandbox-mock-control", hashlib.sha256).hexdigest()[:40]
OUTBOX_SIZE = 100
TIMEOUT_SECONDS = 3


class SmsError(Exception):
    """A message could not be sent."""


class SmsText(str):
    """The text of one message, with the template it was made from and the template's parameters in order:
    what a template-based provider (Tencent Cloud, the gateway's `template`/`params`) sends instead of the
    text. Adapters that send free text use it as the str it is."""

    template: str | None
    params: tuple[str, ...]

    def __new__(cls, text: str, template: str | None = None, params: tuple = ()) -> "SmsText":
        value = super().__new__(cls, text)
        value.template = template
        value.params = tuple(str(param) for param in params)
        return value


OTP_TEMPLATE = "otp"  # params: card tail, code, minutes
ALERT_TEMPLATE = "alert"  # params: card tail, local time (11月23日14:30), kind, amount (yuan), balance (yuan or "")


@runtime_checkable
class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send `text` to the mobile number `phone` (11 digits). Raises SmsError."""


@dataclass(frozen=True)
class OutboxMessage:
    phone: str
    text: str
    sent_at: object  # naive UTC datetime


class Outbox:
    """Messages the sandbox adapter could not hand to the mock (sandbox and tests only)."""

    def __init__(self, size: int = OUTBOX_SIZE) -> None:
        self._messages: deque[OutboxMessage] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, phone: str, text: str) -> None:
        with self._lock:
            self._messages.append(OutboxMessage(phone, text, utcnow()))

    def messages(self, phone: str | None = None) -> list[OutboxMessage]:
        with self._lock:
            return [m for m in self._messages if phone in (None, m.phone)]

    def last(self, phone: str | None = None) -> OutboxMessage | None:
        found = self.messages(phone)
        return found[-1] if found else None

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


OUTBOX = Outbox()


class SandboxSmsSender:
    """Delivers to the mock WeChat server's /_mock/sms; keeps the message in OUTBOX when it is not there."""

    def __init__(self, config) -> None:
        self.config = config  # the app's, read at each send: `sandbox run` and tests point it at their mock

    @property
    def url(self) -> str:
        return sandbox_url(self.config) + MOCK_SMS_PATH

    def send(self, phone: str, text: str) -> None:
        if not self.config["WECHAT_SANDBOX"]:
            log.error("SMS_SENDER=sandbox outside sandbox mode: configure the bank's SMS provider (docs/sms.md)")
            raise SmsError("no SMS provider is configured (SMS_SENDER=sandbox outside sandbox mode)")
        try:
            response = requests.post(self.url, json={"phone": phone, "text": text}, timeout=TIMEOUT_SECONDS,
                                     headers={MOCK_TOKEN_HEADER: mock_control_token(self.config["SECRET_KEY"])})
            delivered = response.status_code == 201
        except requests.RequestException:
            delivered = False
        if not delivered:
            OUTBOX.add(phone, text)
            log.info("mock WeChat server did not take the SMS to %s: kept in the sandbox outbox", mask_phone(phone))


def load_sender(sms: Sms, config) -> SmsSender:
    """The adapter the Sms section names (`sandbox`, `gateway`, `tencentcloud` or `package.module:Factory`);
    a factory gets the app's flat config (docs/sms.md), the sandbox sender reads it at each send."""
    name = sms.sender or SANDBOX
    if name == SANDBOX:
        return SandboxSmsSender(config)
    if name == GATEWAY:
        from .gateway.client import GatewaySmsSender

        return GatewaySmsSender(sms.gateway_url, sms.gateway_secret, timeout=sms.timeout_seconds)
    if name == TENCENTCLOUD:
        from .tencentcloud import TencentCloudSmsSender

        return TencentCloudSmsSender.from_section(sms)
    module_name, _, attribute = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SmsError(f"SMS_SENDER {name!r} cannot be loaded: {type(exc).__name__}") from None
    sender = factory(config)
    if not isinstance(sender, SmsSender):
        raise SmsError(f"SMS_SENDER {name!r} did not return an object with send(phone, text)")
    return sender


def get_sms_sender() -> SmsSender:
    """The current app's sender, built on first use."""
    extensions = current_app.extensions
    if "sms_sender" not in extensions:
        extensions["sms_sender"] = load_sender(settings.of().sms, current_app.config)
    return extensions["sms_sender"]
