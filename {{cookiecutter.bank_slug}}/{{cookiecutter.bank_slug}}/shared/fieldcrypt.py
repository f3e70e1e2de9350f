"""Encryption at rest of personal financial information (JR/T 0171-2020 C2: card, phone and ID numbers, names).

Envelope encryption: every value gets its own random 256-bit data key (DEK); the value is sealed with AES-GCM under
the DEK, and the DEK is wrapped (AES-GCM) by a key-encryption key (KEK) from the environment. The stored text is

    pfi1$<kek id>$<base64url(nonce + wrapped DEK)>$<base64url(nonce + ciphertext)>

so every ciphertext names the KEK that wraps its DEK: a new KEK is added in front of DATA_KEYS, and `flask privacy
rotate-keys` re-wraps the DEKs (resumable: rows already under the current KEK are skipped), after which the old KEK
can be removed. Lookups (find the account of a card, the customer of an ID number) use a keyed hash (HMAC-SHA256)
with a separate key (DATA_LOOKUP_KEY) in a column of its own, never the ciphertext.

Adopting it for a column: `mapped_column(EncryptedText())` (and `lookup_hash("card", value)` in a *_hash column when
rows are looked up by it), then a migration that alters the column to Text and calls `encrypt_rows` for existing
rows. Comparing an encrypted column in SQL (==, IN, LIKE) raises: compare the hash column instead.

Each process keeps an AES-GCM context per KEK and per data key it has unwrapped (Keyring._deks_aead, bounded):
the ledger re-reads the same names and card numbers for every transfer, and each would otherwise unwrap its DEK
again. Every value written still gets a fresh DEK; nothing cached is stored or leaves the process.

Keys are bytes from the environment (settings: DATA_KEYS "id:base64,id:base64", current first; DATA_LOOKUP_KEY
base64; the post-gen hook writes both into .env). Where they are not set (tests, a hand-made sandbox) a public demo
key under the id "demo" is used, which protects nothing: `flask check-deploy` refuses it in production.
"""

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.types import TypeDecorator

PREFIX = "pfi1"
SEPARATOR = "$"
DEMO_KEY_ID = "demo"
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
EXTENSION_KEY = "fieldcrypt"
_NONCE = 12
_WRAP_AAD = b"pfi1:dek:"
_DATA_AAD = b"pfi1:data"
DEK_CACHE_SIZE = 4096  # unwrapped data keys kept per process (the ledger's hot rows: names and cards re-read)


class KeyConfigError(ValueError):
    """DATA_KEYS or DATA_LOOKUP_KEY is malformed; the message names the variable."""


class DecryptError(ValueError):
    """A ciphertext that no configured KEK opens (a removed key, or tampered data); never shows the value."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_bytes(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise KeyConfigError(f"{name}: a key is not base64 / 密钥须为 base64 编码") from None
    if len(raw) != 32:
        raise KeyConfigError(f"{name}: each key must be 32 bytes (base64 of 32 random bytes) / 密钥须为 32 字节")
    return raw


DEMO_SECRET = b"wechat-bank-demo-data-key: public, protects nothing"


def _demo_key(purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"pfi-demo-key", info=purpose).derive(DEMO_SECRET)


def new_key() -> str:
    """A fresh key for DATA_KEYS or DATA_LOOKUP_KEY (base64 of 32 random bytes)."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def is_token(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + SEPARATOR)


def key_id_of(token: str) -> str | None:
    """The id of the KEK that wraps this ciphertext's DEK (None for anything that is not a ciphertext)."""
    if not is_token(token):
        return None
    parts = token.split(SEPARATOR)
    return parts[1] if len(parts) == 4 else None


@dataclass(frozen=True)
class Keyring:
    keks: dict  # key id -> 32 bytes, in DATA_KEYS order
    current: str
    lookup_key: bytes
    demo_keks: bool = False  # the KEK is derived from SECRET_KEY (no DATA_KEYS)
    demo_lookup: bool = False
    # This process's AES-GCM contexts: one per KEK, and one per data key it has unwrapped (keyed by the KEK's id
    # and the wrapped key, so a value re-read does not unwrap its DEK again). Nothing here is stored or logged;
    # they hold what the KEKs in memory already give, and go with the keyring (a new configuration, a new ring).
    _keks_aead: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _deks_aead: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_config(cls, data_keys: str, lookup_key: str) -> "Keyring":
        keks: dict[str, bytes] = {}
        for item in (part.strip() for part in (data_keys or "").split(",")):
            if not item:
                continue
            key_id, _, key = item.partition(":")
            if not KEY_ID.fullmatch(key_id) or not key:
                raise KeyConfigError("DATA_KEYS: each entry is id:base64key (id of 1-16 letters, digits, - or _) / "
                                     "DATA_KEYS 每项格式为 编号:base64密钥")
            if key_id in keks:
                raise KeyConfigError(f"DATA_KEYS: the id {key_id!r} appears twice / 密钥编号重复")
            keks[key_id] = _key_bytes(key, "DATA_KEYS")
        demo_keks = not keks
        if demo_keks:
            keks[DEMO_KEY_ID] = _demo_key(b"kek")
        demo_lookup = not (lookup_key or "").strip()
        lookup = _demo_key(b"lookup") if demo_lookup else _key_bytes(lookup_key.strip(), "DATA_LOOKUP_KEY")
        return cls(keks, next(iter(keks)), lookup, demo_keks, demo_lookup)

    @classmethod
    def demo(cls) -> "Keyring":
        """The public demo keyring (what an installation without DATA_KEYS and DATA_LOOKUP_KEY uses)."""
        return cls.from_config("", "")

    # -- values ------------------------------------------------------------------------------------------
    def encrypt(self, plaintext: str) -> str:
        dek = AESGCM.generate_key(bit_length=256)
        return self._seal(self.current, self._wrap(self.current, dek), dek, plaintext)

    def decrypt(self, token: str) -> str:
        key_id, wrapped, sealed = self._parts(token)
        try:
            return self._dek_aead(key_id, wrapped).decrypt(sealed[:_NONCE], sealed[_NONCE:], _DATA_AAD).decode("utf-8")
        except InvalidTag:
            raise DecryptError("ciphertext does not open (tampered)") from None

    def rewrap(self, token: str) -> str:
        """The same ciphertext with its DEK wrapped by the current KEK (the data is not re-encrypted)."""
        key_id, wrapped, sealed = self._parts(token)
        if key_id == self.current:
            return token
        dek = self._unwrap(key_id, wrapped)
        return SEPARATOR.join((PREFIX, self.current, _b64(self._wrap(self.current, dek)), _b64(sealed)))

    def reencrypt(self, token: str) -> str:
        """A new DEK and a new ciphertext under the current KEK."""
        return self.encrypt(self.decrypt(token))

    def lookup_hash(self, kind: str, value: str) -> str:
        """HMAC-SHA256 of a normalised value, namespaced by its kind ("card", "id_number", "phone", "openid")."""
        return hmac.new(self.lookup_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    # -- internals ---------------------------------------------------------------------------------------
    def _kek_aead(self, key_id: str) -> AESGCM | None:
        aead = self._keks_aead.get(key_id)
        if aead is None and key_id in self.keks:
            aead = self._keks_aead[key_id] = AESGCM(self.keks[key_id])
        return aead

    def _dek_aead(self, key_id: str, wrapped: bytes) -> AESGCM:
        cached = (key_id, wrapped)
        aead = self._deks_aead.get(cached)
        if aead is None:
            aead = AESGCM(self._unwrap(key_id, wrapped))
            if len(self._deks_aead) >= DEK_CACHE_SIZE:
                self._deks_aead.clear()
            self._deks_aead[cached] = aead
        return aead

    def _wrap(self, key_id: str, dek: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._kek_aead(key_id).encrypt(nonce, dek, _WRAP_AAD + key_id.encode())

    def _unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        kek = self._kek_aead(key_id)
        if kek is None:
            raise DecryptError(f"no key {key_id!r} in DATA_KEYS (removed before `flask privacy rotate-keys` "
                               "finished?) / DATA_KEYS 中缺少该密钥")
        try:
            return kek.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _WRAP_AAD + key_id.encode())
        except InvalidTag:
            raise DecryptError(f"key {key_id!r} does not open this value (wrong key or tampered)") from None

    def _seal(self, key_id: str, wrapped: bytes, dek: bytes, plaintext: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = nonce + AESGCM(dek).encrypt(nonce, plaintext.encode("utf-8"), _DATA_AAD)
        return SEPARATOR.join((PREFIX, key_id, _b64(wrapped), _b64(sealed)))

    @staticmethod
    def _parts(token: str) -> tuple[str, bytes, bytes]:
        parts = token.split(SEPARATOR) if is_token(token) else []
        if len(parts) != 4:
            raise DecryptError("not a ciphertext")
        try:
            return parts[1], _unb64(parts[2]), _unb64(parts[3])
        except ValueError:
            raise DecryptError("malformed ciphertext") from None


# -- which keyring: the current app's, else the last one installed (threads and scripts outside an app context) --
_installed: list[Keyring] = []


def install(extensions: dict, keyring: Keyring) -> None:
    extensions[EXTENSION_KEY] = keyring
    _installed[:] = [keyring]


def current() -> Keyring:
    from flask import current_app, has_app_context

    if has_app_context():  # (outside one, current_app raising RuntimeError cost more than the AES itself)
        keyring = current_app.extensions.get(EXTENSION_KEY)
        if keyring is not None:
            return keyring
    if not _installed:  # no app context, or an app without the keyring
        raise RuntimeError("no encryption keyring installed (settings.install builds it)")
    return _installed[0]


def lookup_hash(kind: str, value: str) -> str:
    return current().lookup_hash(kind, value)


# -- the column type ------------------------------------------------------------------------------------------
_REFUSED = {operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge, operators.in_op,
            operators.not_in_op, operators.like_op, operators.ilike_op, operators.contains_op,
            operators.startswith_op, operators.endswith_op, operators.between_op, operators.not_like_op,
            operators.not_ilike_op}


class EncryptedText(TypeDecorator):
    """A text column stored encrypted (see the module docstring); None and "" are stored as they are. A value
    written before its column was encrypted (clear text) is read back as it is until the migration or
    `flask privacy rotate-keys` encrypts it."""

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator):  # noqa: N801 (SQLAlchemy's name)
        def operate(self, op, *other, **kwargs):
            # a value (or a bound parameter) would be encrypted with a fresh key and never match; the ORM's own
            # comparisons of column objects pass
            if op in _REFUSED and any(not isinstance(o, ColumnClause) for o in other):
                raise TypeError("an encrypted column cannot be compared in SQL: compare its lookup hash column")
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return current().encrypt(str(value))

    def process_result_value(self, value, dialect):
        if value is None or not is_token(value):
            return value
        return current().decrypt(value)
