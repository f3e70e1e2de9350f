"""Reading a passive-reply XML back into data: for late delivery and for the simulator."""

from defusedxml.ElementTree import fromstring


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
