"""Parsing a pushed message safely: size limit, no DTDs or entities, required fields present."""

import hashlib
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy import parse_message
from wechatpy.messages import BaseMessage

from .errors import RejectedRequest

REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")


def check_xml(body: str) -> None:
    """Refuse empty, malformed or dangerous XML (DTDs, entity expansion) with a 400."""
    if not body or not body.strip():
        raise RejectedRequest(400, "empty body")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise RejectedRequest(400, f"malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise RejectedRequest(400, "root element must be <xml>")


def parse(xml: str) -> BaseMessage:
    check_xml(xml)
    root = fromstring(xml, forbid_dtd=True)
    missing = [name for name in REQUIRED_FIELDS if not (root.findtext(name) or "").strip()]
    if missing:
        raise RejectedRequest(400, f"missing fields: {', '.join(missing)}")
    if not (root.findtext("CreateTime") or "").strip().isdigit():
        raise RejectedRequest(400, "CreateTime must be a number")
    try:
        return parse_message(xml)
    except (ValueError, TypeError, KeyError) as exc:
        raise RejectedRequest(400, "message fields have the wrong form") from exc


def dedup_key(message: BaseMessage) -> str:
    """WeChat's own rule: MsgId for messages; FromUserName + CreateTime for events.

    Event and EventKey are added so that two distinct events of one user in the same second
    (subscribe and SCAN, say) stay distinct; WeChat's retries repeat all of them.
    """
    msg_id = getattr(message, "id", None)
    if message.type != "event" and msg_id:
        return f"msg:{msg_id}"
    raw = message._data  # wechatpy keeps the parsed fields
    parts = [message.source, str(raw.get("CreateTime", "")), raw.get("Event", ""), raw.get("EventKey") or ""]
    return "evt:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:64]
