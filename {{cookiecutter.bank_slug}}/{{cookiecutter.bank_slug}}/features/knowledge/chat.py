"""The chat side of the knowledge base: a text rule after the keyword replies; 1, 2 or 3 pick a choice."""

from .service import ask, pick

CHOICE_DIGITS = {"1": 1, "2": 2, "3": 3, "１": 1, "２": 2, "３": 3}


def on_text(message):
    text = (message.content or "").strip()
    openid = message.source
    if text in CHOICE_DIGITS:
        return pick(openid, CHOICE_DIGITS[text])  # None without choices offered: the fallback answers
    return ask(openid, text).text


def register(router) -> None:
    router.text_rule(on_text)
