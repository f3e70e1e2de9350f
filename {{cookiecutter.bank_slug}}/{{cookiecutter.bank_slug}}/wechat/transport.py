"""WeChat's message transport: signatures, timestamp window, and AES for compat/safe mode.

Plain mode: `signature` = sha1(sort(token, timestamp, nonce)) on every request.
Compat/safe mode: the body carries <Encrypt>; `msg_signature` also covers the ciphertext, and
replies are encrypted the same way. In compat mode WeChat may send either form, so a message
is decrypted whenever `encrypt_type=aes` is present; safe mode refuses plaintext.

EncodingAESKey changes (WeChat's 消息加解密 FAQ): keep the current and the previous key; when the current
one fails to decrypt, try the previous (WECHAT_ENCODING_AES_KEY_PREVIOUS), and encrypt the reply with the
key that decrypted the message (`open_message` returns the settings of that key for `seal_reply`).
"""

import hashlib
import hmac
import time
from dataclasses import dataclass, replace
from functools import lru_cache

from ..shared.numbers import ascii_int
from .errors import RejectedRequest
from .inbound import check_xml
from .msgcrypt import InvalidSignature, MalformedCiphertext, MessageCrypto, WrongAppId


@dataclass(frozen=True)
class TransportSettings:
    token: str
    encoding_aes_key: str
    app_id: str
    mode: str  # plain | compat | safe
    timestamp_window: int
    previous_aes_key: str = ""  # accepted for decryption during a key change

    @classmethod
    def from_config(cls, config) -> "TransportSettings":
        return cls(
            token=config["WECHAT_TOKEN"],
            encoding_aes_key=config["WECHAT_ENCODING_AES_KEY"],
            app_id=config["WECHAT_APP_ID"],
            mode=config["WECHAT_ENCRYPT_MODE"],
            timestamp_window=config["WECHAT_TIMESTAMP_WINDOW_SECONDS"],
            previous_aes_key=config.get("WECHAT_ENCODING_AES_KEY_PREVIOUS", ""),
        )

    def with_previous_key(self) -> "TransportSettings":
        return replace(self, encoding_aes_key=self.previous_aes_key, previous_aes_key="")

    def crypto(self) -> MessageCrypto:
        return _crypto(self.token, self.encoding_aes_key, self.app_id)


@lru_cache(maxsize=8)
def _crypto(token: str, encoding_aes_key: str, app_id: str) -> MessageCrypto:
    """One MessageCrypto per key: the key decoded and the cipher set up once (it keeps no state between messages)."""
    return MessageCrypto(token, encoding_aes_key, app_id)


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """WeChat's request signature: sha1 of the sorted token, timestamp and nonce."""
    expected = hashlib.sha1(b"".join(sorted((token.encode(), timestamp.encode(), nonce.encode())))).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


@dataclass(frozen=True)
class Envelope:
    """The query-string half of a WeChat push."""

    signature: str
    timestamp: str
    nonce: str
    encrypted: bool
    msg_signature: str

    @classmethod
    def from_args(cls, args) -> "Envelope":
        return cls(
            signature=args.get("signature", ""),
            timestamp=args.get("timestamp", ""),
            nonce=args.get("nonce", ""),
            encrypted=args.get("encrypt_type", "raw") == "aes",
            msg_signature=args.get("msg_signature", ""),
        )


def verify_envelope(settings: TransportSettings, env: Envelope, now: float | None = None) -> None:
    """Check the signature and the timestamp window; raise RejectedRequest(403) when wrong."""
    if not (env.signature and env.timestamp and env.nonce):
        raise RejectedRequest(403, "missing signature, timestamp or nonce")
    if not check_signature(settings.token, env.signature, env.timestamp, env.nonce):
        raise RejectedRequest(403, "invalid signature")
    sent_at = ascii_int(env.timestamp, max_digits=12)
    if sent_at is None:  # "+N", " N", Unicode digits: not what WeChat sends
        raise RejectedRequest(403, "timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - sent_at) > settings.timestamp_window:
        raise RejectedRequest(403, f"timestamp outside the {settings.timestamp_window}s window")


def open_body(settings: TransportSettings, env: Envelope, body: str) -> str:
    """Return the plaintext message XML of a verified request."""
    return open_message(settings, env, body)[0]


def open_message(settings: TransportSettings, env: Envelope, body: str, root=None) -> tuple[str, TransportSettings]:
    """The plaintext message XML of a verified request and the settings to seal its reply with: those of
    the previous EncodingAESKey when only that one decrypted it. `root`: the body already parsed (by
    inbound.check_xml), so that it is not parsed again for its <Encrypt>."""
    if not env.encrypted:
        if settings.mode == "safe":
            raise RejectedRequest(403, "safe mode accepts encrypted messages only")
        return body, settings
    if not env.msg_signature:
        raise RejectedRequest(403, "missing msg_signature")
    if root is None:
        root = check_xml(body)
    message = _encrypt_field(root)
    try:
        return _decrypt(settings, env, message), settings
    except RejectedRequest as exc:
        if not settings.previous_aes_key or exc.status == 403 and "signature" in exc.reason:
            raise
        previous = settings.with_previous_key()
        return _decrypt(previous, env, message), previous


def _encrypt_field(root) -> str:
    """The text of a parsed body's <Encrypt>: exactly one plain <Encrypt> element."""
    found = root.findall("Encrypt")
    if len(found) != 1 or found[0].attrib or len(found[0]) or not (found[0].text or "").strip():
        raise RejectedRequest(400, "malformed encrypted message")
    return found[0].text.strip()


def _decrypt(settings: TransportSettings, env: Envelope, encrypt: str) -> str:
    try:
        return settings.crypto().decrypt(encrypt, env.msg_signature, env.timestamp, env.nonce)
    except InvalidSignature:
        raise RejectedRequest(403, "invalid msg_signature") from None
    except WrongAppId:
        raise RejectedRequest(403, "message is for another AppID") from None
    except (MalformedCiphertext, ValueError) as exc:  # bad base64, blocks, padding or a broken plaintext
        raise RejectedRequest(400, "malformed encrypted message") from exc


def seal_reply(settings: TransportSettings, env: Envelope, reply_xml: str) -> str:
    """Encrypt the reply when the request came encrypted (compat and safe mode)."""
    if not env.encrypted or not reply_xml:
        return reply_xml
    return settings.crypto().seal_reply(reply_xml, env.nonce, env.timestamp)
