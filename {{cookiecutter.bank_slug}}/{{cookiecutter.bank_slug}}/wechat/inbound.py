"""Parsing a pushed message safely: size limit, no DTDs or entities, required fields present."""

import hashlib
import json
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy import parse_message
from wechatpy.messages import MESSAGE_TYPES, BaseMessage, UnknownMessage

from ..shared.numbers import ascii_int
from .errors import RejectedRequest

REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# Fields the service keys, routes or stores by: each must be plain text, given at most once.
SCALAR_FIELDS = REQUIRED_FIELDS + ("Event", "EventKey", "MsgId", "MsgID", "Content", "Ticket", "Status")
MAX_USER_NAME = 64  # openids are 28 characters, original ids (gh_...) 15
MAX_MSG_ID_DIGITS = 20  # a 64-bit unsigned number


def check_xml(body: str):
    """Refuse empty, malformed or dangerous XML (DTDs, entity expansion) with a 400; the parsed root."""
    if not body or not body.strip():
        raise RejectedRequest(400, "empty body")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise RejectedRequest(400, f"malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise RejectedRequest(400, "root element must be <xml>")
    return root


def check_shape(root) -> None:
    """The fields the service relies on have the shape WeChat gives them: plain text, once each, within
    WeChat's lengths; a message of another shape is a 400, not an error deeper down."""
    for name in SCALAR_FIELDS:
        found = root.findall(name)
        if len(found) > 1:
            raise RejectedRequest(400, f"{name} is repeated")
        if found and (found[0].attrib or len(found[0])):
            raise RejectedRequest(400, f"{name} must be plain text")
    for name in ("FromUserName", "ToUserName"):
        if len((root.findtext(name) or "").strip()) > MAX_USER_NAME:
            raise RejectedRequest(400, f"{name} is longer than {MAX_USER_NAME} characters")
    if ascii_int((root.findtext("CreateTime") or "").strip(), max_digits=12) is None:
        raise RejectedRequest(400, "CreateTime must be a number")
    for name in ("MsgId", "MsgID"):
        value = root.findtext(name)
        if value is not None and ascii_int(value.strip(), max_digits=MAX_MSG_ID_DIGITS) is None:
            raise RejectedRequest(400, f"{name} must be a number of at most {MAX_MSG_ID_DIGITS} digits")
    if (root.findtext("MsgType") or "").strip() == "event" and not (root.findtext("Event") or "").strip():
        raise RejectedRequest(400, "an event without Event")


def parse(xml: str) -> BaseMessage:
    root = check_xml(xml)
    missing = [name for name in REQUIRED_FIELDS if not (root.findtext(name) or "").strip()]
    if missing:
        raise RejectedRequest(400, f"missing fields: {', '.join(missing)}")
    check_shape(root)
    try:
        return _flat_message(root) or parse_message(xml)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise RejectedRequest(400, "message fields have the wrong form") from exc


def _flat_message(root) -> BaseMessage | None:
    """The message of a flat push (a text, an image, a location...: every field a plain element, given once),
    built from the tree already parsed, as wechatpy's parse_message would build it (its xmltodict strips the
    text, an empty field is None), without parsing the XML a second time; None for anything else (events,
    nested or repeated fields, attributes), which goes to parse_message."""
    if (root.text or "").strip() or root.attrib:
        return None
    data = {}
    for child in root:
        if child.attrib or len(child) or child.tag in data or (child.tail or "").strip():
            return None
        data[child.tag] = (child.text or "").strip() or None
    kind = (data.get("MsgType") or "").lower()
    if kind == "event" or kind.startswith("device_"):
        return None
    return MESSAGE_TYPES.get(kind, UnknownMessage)(data)


def dedup_key(message: BaseMessage) -> str:
    """The key WeChat's retries of one push share, and nothing else does.

    Messages: the sender and MsgId (a MsgId is unique per account only as WeChat assigns it; a push from
    user B carrying user A's MsgId is another message, not A's retry). Events and anything without a MsgId:
    the sender, CreateTime and every other field of the push, so two different events of one user in the
    same second (subscribe then SCAN, two LOCATION reports) stay apart while WeChat's retries, which repeat
    the push field for field, collapse.
    """
    raw = message._data  # wechatpy keeps the parsed fields
    msg_id = getattr(message, "id", None)
    if message.type != "event" and msg_id:
        parts = ["msg", message.source or "", str(msg_id)]
    else:
        fields = {str(k): v for k, v in raw.items() if isinstance(v, str) or v is None}
        parts = ["evt", message.source or "", str(raw.get("CreateTime") or ""),
                 json.dumps(fields, ensure_ascii=False, sort_keys=True)]
    return parts[0] + ":" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:64]
