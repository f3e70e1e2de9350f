"""Keyword replies with a published article: a text equal to an article's keyword (whitespace- and
case-folded like every keyword) is answered with the article as a news (图文) reply, linking to its page
on WeChat (the URL freepublish/get returned). A text rule, consulted after the router's own keywords and
the staff's text replies."""

import unicodedata

from wechatpy.replies import ArticlesReply

from .articles import published_for_keyword


def plain(text: str) -> str:
    """Text safe inside the reply's CDATA: no control characters, no "]]>"."""
    cleaned = "".join(" " if unicodedata.category(char) == "Cc" else char for char in str(text or ""))
    return cleaned.replace("]]>", "]] >")


def on_text(message):
    article = published_for_keyword(message.content or "")
    if article is None or not article.url:
        return None
    return ArticlesReply(message=message, articles=[{"title": plain(article.title),
                                                     "description": plain(article.digest or ""),
                                                     "image": "", "url": article.url}])


def register(router) -> None:
    router.text_rule(on_text)
