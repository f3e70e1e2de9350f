"""The chat side of keyword replies: a text rule the router consults after its own keywords."""

from .rules import find_reply


def on_text(message):
    return find_reply(message.content or "")


def register(router) -> None:
    router.text_rule(on_text)
