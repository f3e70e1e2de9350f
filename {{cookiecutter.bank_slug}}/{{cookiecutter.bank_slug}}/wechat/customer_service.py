"""Sending a passive-reply XML as a customer-service message, for replies that missed the 5 s.

WeChat accepts customer-service messages within a window opened by the user's own action (a message,
a menu click, a follow); the user has just acted, so the late reply normally falls inside it. The
account needs the customer-service message permission; a refusal is logged, never retried.
"""

import logging

from defusedxml.ElementTree import fromstring

log = logging.getLogger(__name__)


def send_reply_later(client, openid: str, reply_xml: str) -> None:
    root = fromstring(reply_xml, forbid_dtd=True)
    kind = root.findtext("MsgType")
    if kind == "text":
        client.message.send_text(openid, root.findtext("Content") or "")
    elif kind == "news":
        articles = [
            {
                "title": item.findtext("Title") or "",
                "description": item.findtext("Description") or "",
                "image": item.findtext("PicUrl") or "",
                "url": item.findtext("Url") or "",
            }
            for item in root.iter("item")
        ]
        client.message.send_articles(openid, articles[:1])  # WeChat: one article per CS news message
    else:
        log.warning("no customer-service form for a late %s reply; dropped", kind)
