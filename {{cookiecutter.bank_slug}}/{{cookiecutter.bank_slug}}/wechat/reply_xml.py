"""Passive-reply XML: written safely, and read back into data (for late delivery and the simulator).

wechatpy writes every text field of a reply as `<![CDATA[value]]>` without escaping, so a customer's
`a]]>b` echoed back, or a staff keyword reply containing `]]>`, would end the CDATA section early and
make the reply invalid XML (or inject elements). `render_reply` renders any wechatpy reply with every
text value made safe first (`cdata_safe`: `]]>` split across two CDATA sections, the characters XML 1.0
cannot carry dropped); use it instead of `reply.render()`.
"""

import re

from defusedxml.ElementTree import fromstring
from wechatpy.utils import to_text

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata_safe(value) -> str:
    """`value` as text that can stand inside <![CDATA[...]]>."""
    return _NOT_XML.sub("", to_text(value)).replace("]]>", "]]]]><![CDATA[>")


def _safe(value):
    if isinstance(value, str):
        return cdata_safe(value)
    if isinstance(value, dict):
        return {key: _safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(item) for item in value]
    return value


def render_reply(reply) -> str:
    """The reply's XML with every text value CDATA-safe (wechatpy keeps the values in `_data`)."""
    reply._data = {key: _safe(value) for key, value in reply._data.items()}
    return reply.render()


def parse_reply(xml: str) -> dict | None:
    """A passive reply as a dict: text, news (articles), or just its type for the rest."""
    if not xml:
        return None
    root = fromstring(xml, forbid_dtd=True)
    kind = root.findtext("MsgType") or ""
    if kind == "text":
        return {"type": "text", "content": root.findtext("Content") or ""}
    if kind == "news":
        articles = [
            {
                "title": item.findtext("Title") or "",
                "description": item.findtext("Description") or "",
                "picurl": item.findtext("PicUrl") or "",
                "url": item.findtext("Url") or "",
            }
            for item in root.iter("item")
        ]
        return {"type": "news", "articles": articles}
    return {"type": kind or "unknown"}
