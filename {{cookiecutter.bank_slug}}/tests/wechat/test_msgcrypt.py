"""The message encryption of our own (wechat/msgcrypt.py) against wechatpy's WeChatCrypto, the other side the
sandbox's pusher and the mock use: each decrypts what the other encrypts, and broken ciphertexts are refused
with a reason, never a 500."""

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpy.crypto import WeChatCrypto

from {{ cookiecutter.bank_slug }}.wechat.errors import RejectedRequest
from {{ cookiecutter.bank_slug }}.wechat.msgcrypt import (
    InvalidSignature,
    MalformedCiphertext,
    MessageCrypto,
    WrongAppId,
)
from {{ cookiecutter.bank_slug }}.wechat.transport import (
    Envelope,
    TransportSettings,
    open_message,
)

TOKEN = "token-for-tests"
AES_KEY = base64.b64encode(os.urandom(32)).decode()[:43]
APP_ID = "wx0123456789abcdef"
ours = MessageCrypto(TOKEN, AES_KEY, APP_ID)
theirs = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000)
nonces = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=32)


def _encrypt_of(sealed: str) -> str:
    return sealed.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]


@settings(max_examples=200, deadline=None)
@given(text=texts, nonce=nonces, timestamp=st.integers(0, 10**10).map(str))
def test_wechatpy_decrypts_our_replies_and_we_decrypt_its_messages(text, nonce, timestamp):
    sealed = ours.seal_reply(text, nonce, timestamp)
    assert theirs.decrypt_message(sealed, ours.signature(timestamp, nonce, _encrypt_of(sealed)),
                                  timestamp, nonce) == text
    assert f"<TimeStamp>{timestamp}</TimeStamp>" in sealed and f"<Nonce><![CDATA[{nonce}]]></Nonce>" in sealed
    pushed = theirs.encrypt_message(text, nonce, timestamp)
    encrypt = _encrypt_of(pushed)
    signature = pushed.split("<MsgSignature><![CDATA[", 1)[1].split("]]>", 1)[0]
    assert ours.signature(timestamp, nonce, encrypt) == signature
    assert ours.decrypt(encrypt, signature, timestamp, nonce) == text


def test_each_encryption_has_a_fresh_random_prefix():
    assert ours.encrypt("同一条回复") != ours.encrypt("同一条回复")


def _sealed_raw(plain: bytes, key: str = AES_KEY) -> str:
    raw = base64.b64decode(key + "=")
    encryptor = Cipher(algorithms.AES(raw), modes.CBC(raw[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _padded(plain: bytes) -> bytes:
    padding = 32 - len(plain) % 32
    return plain + bytes((padding,)) * padding


# A fixed random prefix: the ciphertexts, and so the test ids, are the same in every pytest-xdist worker.
PREFIX = bytes(range(16))


@pytest.mark.parametrize("encrypt, error", [
    ("not base64 !!", MalformedCiphertext),
    (base64.b64encode(b"x" * 20).decode(), MalformedCiphertext),  # not whole blocks
    ("", MalformedCiphertext),
    (_sealed_raw(b"\x00" * 31 + b"\x21"), MalformedCiphertext),  # padding 33
    (_sealed_raw(b"\x00" * 31 + b"\x00"), MalformedCiphertext),  # padding 0
    (_sealed_raw(_padded(PREFIX + (10**6).to_bytes(4, "big") + b"<xml/>" + APP_ID.encode())),
     MalformedCiphertext),  # a length beyond the plaintext
    (_sealed_raw(_padded(PREFIX + (2).to_bytes(4, "big") + b"\xff\xfe" + APP_ID.encode())),
     MalformedCiphertext),  # not UTF-8
    (_sealed_raw(_padded(PREFIX + (6).to_bytes(4, "big") + b"<xml/>" + b"wx-another-account")),
     WrongAppId),
], ids=["not-base64", "not-whole-blocks", "empty", "padding-33", "padding-0", "length-beyond-plaintext",
        "not-utf8", "another-appid"])
def test_broken_ciphertexts_are_refused(encrypt, error):
    with pytest.raises(error):
        ours.decrypt(encrypt, ours.signature("1", "n", encrypt), "1", "n")


def test_a_wrong_signature_is_refused_before_decrypting():
    encrypt = ours.encrypt("<xml/>")
    with pytest.raises(InvalidSignature):
        ours.decrypt(encrypt, ours.signature("1", "n", encrypt)[:-1] + "0", "2", "n")
    with pytest.raises(InvalidSignature):
        ours.decrypt(encrypt, "签名", "1", "n")


def test_a_bad_key_is_refused_at_start():
    for key in ("short", "!" * 43, AES_KEY[:42]):
        with pytest.raises(ValueError):
            MessageCrypto(TOKEN, key, APP_ID)


@settings(max_examples=300, deadline=None)
@given(encrypt=st.one_of(st.text(max_size=200), st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())))
def test_any_encrypt_field_is_a_4xx_through_the_transport(encrypt):
    settings_ = TransportSettings(TOKEN, AES_KEY, APP_ID, "safe", 300)
    env = Envelope("s", "1", "n", True, ours.signature("1", "n", encrypt))
    body = "<xml><Encrypt><![CDATA[" + encrypt.replace("]]>", "") + "]]></Encrypt></xml>"
    try:
        open_message(settings_, env, body)
    except RejectedRequest as exc:
        assert exc.status in (400, 403)
