"""The `tencentcloud` SMS adapter: Tencent Cloud SMS's SendSms (API version 2021-01-11), signed with
signature v3, TC3-HMAC-SHA256, as Tencent Cloud documents it ("Signature v3" in every product's API
docs; the published example vector is tests/sms/test_tencentcloud.py). Plain requests, no SDK.

Mainland SMS goes out only through templates approved in the console: the service's messages carry the
template they were made from (SmsText.template: otp, alert) and its parameters, and
TENCENTCLOUD_SMS_TEMPLATES maps each to a template id, e.g. `otp=1234567,alert=1234568`. The templates
to register (the order of the {n} is the order of SmsText.params) are in docs/sms.md.
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from ..settings.sections import Sms
from ..shared.masking import mask_phone
from . import SmsError

log = logging.getLogger(__name__)

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "sms"
ACTION = "SendSms"
VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"
DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com"
OK = "Ok"


def canonical_request(method: str, host: str, payload: bytes, content_type: str = CONTENT_TYPE) -> str:
    return "\n".join([method, "/", "", f"content-type:{content_type}\nhost:{host}\n", SIGNED_HEADERS,
                      hashlib.sha256(payload).hexdigest()])


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    """The hex signature: HMAC chain TC3+key -> date -> service -> tc3_request over the string to sign."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join([ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return (f"{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, SignedHeaders={SIGNED_HEADERS}, "
            f"Signature={tc3_signature(secret_key, timestamp, service, canonical)}")


class TencentCloudSmsSender:
    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 templates: dict[str, str], region: str = "ap-guangzhou", endpoint: str = DEFAULT_ENDPOINT,
                 timeout: float = 5, clock: Callable[[], float] = time.time,
                 session: requests.Session | None = None) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("TENCENTCLOUD_SMS_ENDPOINT must be an http(s) URL")
        self.endpoint = endpoint.rstrip("/") + "/"
        self.host = parts.netloc
        self.region = region
        self.templates = dict(templates)
        self.timeout = timeout
        self._secret_id, self._secret_key = secret_id, secret_key
        self._sdk_app_id, self._sign_name = sdk_app_id, sign_name
        self._clock = clock
        self._session = session or requests.Session()
        self._session.trust_env = False

    @classmethod
    def from_section(cls, sms: Sms) -> "TencentCloudSmsSender":
        return cls(secret_id=sms.tencent_secret_id, secret_key=sms.tencent_secret_key,
                   sdk_app_id=sms.tencent_sdk_app_id, sign_name=sms.tencent_sign_name,
                   templates=dict(sms.tencent_templates), region=sms.tencent_region,
                   endpoint=sms.tencent_endpoint or DEFAULT_ENDPOINT, timeout=sms.timeout_seconds)

    def __repr__(self) -> str:
        return f"<TencentCloudSmsSender {self.host}>"

    def payload(self, phone: str, text: str) -> bytes:
        template = getattr(text, "template", None)
        template_id = self.templates.get(template or "")
        if not template_id:
            raise SmsError(f"no Tencent Cloud template for message kind {template or 'free text'!r} "
                           "(TENCENTCLOUD_SMS_TEMPLATES)")
        return json.dumps({"PhoneNumberSet": [f"+86{phone}"], "SmsSdkAppId": self._sdk_app_id,
                           "SignName": self._sign_name, "TemplateId": template_id,
                           "TemplateParamSet": list(getattr(text, "params", ()))},
                          ensure_ascii=False, separators=(",", ":")).encode()

    def send(self, phone: str, text: str) -> None:
        body = self.payload(phone, text)
        timestamp = int(self._clock())
        headers = {
            "Authorization": authorization(self._secret_id, self._secret_key, timestamp, SERVICE,
                                           canonical_request("POST", self.host, body)),
            "Content-Type": CONTENT_TYPE, "Host": self.host, "X-TC-Action": ACTION, "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp), "X-TC-Region": self.region,
        }
        try:
            response = self._session.post(self.endpoint, data=body, headers=headers, timeout=self.timeout,
                                          allow_redirects=False)
            answer = response.json()["Response"]
        except requests.RequestException as exc:
            raise SmsError(f"Tencent Cloud SMS unreachable: {type(exc).__name__}") from None
        except (ValueError, KeyError, TypeError):
            raise SmsError("Tencent Cloud SMS answered something that is not its JSON") from None
        error = answer.get("Error") if isinstance(answer, dict) else None
        if error:
            code = str(error.get("Code", "unknown"))[:80]
            (log.error if code.startswith("AuthFailure") else log.warning)(
                "Tencent Cloud SMS refused the request (RequestId %s): %s", answer.get("RequestId"), code)
            raise SmsError(f"Tencent Cloud SMS error {code}")
        statuses = answer.get("SendStatusSet") or [{}]
        code = str(statuses[0].get("Code", "unknown"))[:80]
        if code != OK:
            log.warning("Tencent Cloud SMS did not send to %s: %s", mask_phone(phone), code)
            raise SmsError(f"Tencent Cloud SMS did not send: {code}")
