"""WeChat's message encryption (消息加解密, compat and safe mode), as WeChat documents it, on `cryptography`.

One object per EncodingAESKey holds the AES-256-CBC cipher (the key is the 43-character EncodingAESKey
base64-decoded, the IV its first 16 bytes, both fixed), so a message costs one encryptor or decryptor context
and no key set-up. wechatpy's WeChatCrypto (which the sandbox's pusher and the tests still use as the other
side) builds two cipher objects, a random string from `random` and a signer object per message.

- ciphertext = base64(AES-CBC(random 16 bytes + len(msg) as 4 bytes big-endian + msg + AppID, PKCS#7 to 32))
- msg_signature = sha1 of the sorted concatenation of token, timestamp, nonce and the ciphertext
- a reply: <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml> with the request's timestamp and nonce

Errors: InvalidSignature (msg_signature does not match), WrongAppId (the plaintext names another AppID),
MalformedCiphertext (not base64, not whole blocks, a padding or length that does not fit): the transport
turns them into a 403, a 403 and a 400.
"""

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes (PKCS#7 with a 32-byte block), not AES's 16


class InvalidSignature(Exception):
    pass


class WrongAppId(Exception):
    pass


class MalformedCiphertext(ValueError):
    pass


_REPLY = ("<xml>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
          "<TimeStamp>{timestamp}</TimeStamp>\n<Nonce><![CDATA[{nonce}]]></Nonce>\n</xml>")


class MessageCrypto:
    """Encrypt, decrypt and sign the messages of one account with one EncodingAESKey."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            key = b""
        if len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 characters of base64 (a 32-byte key)")
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
        self._token = token.encode()
        self._app_id = app_id.encode()

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        parts = sorted((self._token, timestamp.encode(), nonce.encode(), encrypt.encode()))
        return hashlib.sha1(b"".join(parts)).hexdigest()

    def decrypt(self, encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The plaintext XML of a pushed <Encrypt>, after checking its msg_signature and AppID."""
        if not hmac.compare_digest(self.signature(timestamp, nonce, encrypt).encode(), msg_signature.encode()):
            raise InvalidSignature()
        try:
            sealed = base64.b64decode(encrypt, validate=True)
        except binascii.Error:
            raise MalformedCiphertext("not base64") from None
        if not sealed or len(sealed) % 16:
            raise MalformedCiphertext("not whole AES blocks")
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(sealed) + decryptor.finalize()
        padding = plain[-1]
        if not 1 <= padding <= BLOCK or padding > len(plain) - 20:
            raise MalformedCiphertext("bad padding")
        content = plain[16:-padding]
        length = int.from_bytes(content[:4], "big")
        if length > len(content) - 4:
            raise MalformedCiphertext("length beyond the plaintext")
        if content[4 + length:] != self._app_id:
            raise WrongAppId()
        try:
            return content[4:4 + length].decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedCiphertext("plaintext is not UTF-8") from None

    def encrypt(self, text: str) -> str:
        """The base64 ciphertext of `text` for this account (a fresh random 16-byte prefix each time)."""
        body = text.encode("utf-8")
        plain = b"".join((os.urandom(16), len(body).to_bytes(4, "big"), body, self._app_id))
        padding = BLOCK - len(plain) % BLOCK
        encryptor = self._cipher.encryptor()
        sealed = encryptor.update(plain + bytes((padding,)) * padding) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def seal_reply(self, reply_xml: str, nonce: str, timestamp: str) -> str:
        """The encrypted, signed reply document WeChat expects in the answer to a push."""
        encrypt = self.encrypt(reply_xml)
        return _REPLY.format(encrypt=encrypt, signature=self.signature(timestamp, nonce, encrypt),
                             timestamp=timestamp, nonce=nonce)
