"""Sending a passive-reply XML as a customer-service message, for replies that missed the 5 s.

WeChat accepts customer-service messages within a window opened by the user's own action (a message,
a menu click, a follow); the user has just acted, so the late reply normally falls inside it. The
account needs the customer-service message permission; a refusal is logged, never retried.
"""

import logging

from .reply_xml import parse_reply

log = logging.getLogger(__name__)


def send_reply_later(client, openid: str, reply_xml: str) -> bool:
    """True when a customer-service message went out."""
    reply = parse_reply(reply_xml)
    if reply is None:
        return False
    if reply["type"] == "text":
        client.message.send_text(openid, reply["content"])
    elif reply["type"] == "news":
        articles = [
            {"title": a["title"], "description": a["description"], "image": a["picurl"], "url": a["url"]}
            for a in reply["articles"][:1]  # WeChat: one article per customer-service news message
        ]
        client.message.send_articles(openid, articles)
    else:
        log.warning("no customer-service form for a late %s reply; dropped", reply["type"])
        return False
    return True
