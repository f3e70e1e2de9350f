"""Builds pushes exactly as WeChat's servers do: XML, signature, and AES for compat/safe mode.

Used by the browser simulator and by the tests, so both exercise the production code path of
`/wechat` rather than a shortcut.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(to_user: str, from_user: str, msg_type: str, fields: dict, create_time: int | None = None) -> str:
    parts = [
        f"<ToUserName>{_cdata(to_user)}</ToUserName>",
        f"<FromUserName>{_cdata(from_user)}</FromUserName>",
        f"<CreateTime>{int(create_time or time.time())}</CreateTime>",
        f"<MsgType>{_cdata(msg_type)}</MsgType>",
    ]
    parts.extend(_elements(fields))
    return "<xml>" + "".join(parts) + "</xml>"


def _elements(fields: dict) -> list[str]:
    """Children as WeChat writes them: numbers bare, text in CDATA, a dict as a nested element
    (location_select's SendLocationInfo, scancode's ScanCodeInfo)."""
    out = []
    for name, value in fields.items():
        if isinstance(value, dict):
            out.append(f"<{name}>" + "".join(_elements(value)) + f"</{name}>")
        elif isinstance(value, int):
            out.append(f"<{name}>{value}</{name}>")
        else:
            out.append(f"<{name}>{_cdata(value)}</{name}>")
    return out


def text_message(openid: str, content: str, msg_id: int, account: str = "gh_sandbox", create_time=None) -> str:
    return message_xml(account, openid, "text", {"Content": content, "MsgId": msg_id}, create_time)


def event_message(openid: str, event: str, key: str | None = None, account: str = "gh_sandbox",
                  create_time=None) -> str:
    fields = {"Event": event}
    if key is not None:
        fields["EventKey"] = key
    return message_xml(account, openid, "event", fields, create_time)


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass(frozen=True)
class SignedPush:
    query: dict
    body: str


@dataclass(frozen=True)
class WeChatPusher:
    """Signs (and in compat/safe mode encrypts) pushes with the account's Token and EncodingAESKey."""

    token: str
    encoding_aes_key: str
    app_id: str
    mode: str  # plain | compat | safe

    @classmethod
    def from_config(cls, config) -> "WeChatPusher":
        return cls(config["WECHAT_TOKEN"], config["WECHAT_ENCODING_AES_KEY"], config["WECHAT_APP_ID"],
                   config["WECHAT_ENCRYPT_MODE"])

    def sign(self, xml: str, timestamp: int | None = None, nonce: str | None = None) -> SignedPush:
        timestamp = str(int(timestamp if timestamp is not None else time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        root = fromstring(xml, forbid_dtd=True)
        openid = root.findtext("FromUserName") or ""
        query = {"signature": sha1_signature(self.token, timestamp, nonce), "timestamp": timestamp,
                 "nonce": nonce, "openid": openid}
        if self.mode == "plain":
            return SignedPush(query, xml)
        sealed = fromstring(WeChatCrypto(self.token, self.encoding_aes_key, self.app_id)
                            .encrypt_message(xml, nonce, timestamp))
        encrypted = sealed.findtext("Encrypt")
        query.update(encrypt_type="aes", msg_signature=sealed.findtext("MsgSignature"))
        to_user = f"<ToUserName>{_cdata(root.findtext('ToUserName') or '')}</ToUserName>"
        if self.mode == "compat":  # plaintext fields and the ciphertext side by side
            inner = xml.strip()[len("<xml>"):-len("</xml>")]
            return SignedPush(query, f"<xml>{inner}<Encrypt>{_cdata(encrypted)}</Encrypt></xml>")
        return SignedPush(query, f"<xml>{to_user}<Encrypt>{_cdata(encrypted)}</Encrypt></xml>")

    def url_check(self, echostr: str, timestamp: int | None = None, nonce: str = "1234567") -> dict:
        timestamp = str(int(timestamp if timestamp is not None else time.time()))
        return {"signature": sha1_signature(self.token, timestamp, nonce), "timestamp": timestamp,
                "nonce": nonce, "echostr": echostr}

    def open_reply(self, body: str, query: dict) -> str:
        """The plaintext of a passive reply ('' for "success"), checking its signature when encrypted."""
        if not body or body == "success":
            return ""
        if query.get("encrypt_type") != "aes":
            return body
        root = fromstring(body, forbid_dtd=True)
        crypto = WeChatCrypto(self.token, self.encoding_aes_key, self.app_id)
        return crypto.decrypt_message(body, root.findtext("MsgSignature"), root.findtext("TimeStamp"),
                                      root.findtext("Nonce"))
