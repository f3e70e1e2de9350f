"""The router: keywords, menu keys, events, fallbacks, and the help list built from registrations."""

import pytest
from wechatpy import parse_message

from {{ cookiecutter.bank_slug }}.features.info.help import help_text
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import event_message, text_message
from {{ cookiecutter.bank_slug }}.wechat.router import Router


def _msg(xml):
    return parse_message(xml)


def test_keywords_are_case_and_space_insensitive():
    router = Router()
    router.text("余额", "Balance", summary="查询余额")(lambda m: "balance")
    assert router.dispatch(_msg(text_message("o", "  BALANCE ", 1))).content == "balance"
    assert router.dispatch(_msg(text_message("o", "余额", 2))).content == "balance"


def test_a_keyword_cannot_be_registered_twice():
    router = Router()
    router.text("余额")(lambda m: "a")
    with pytest.raises(ValueError):
        router.text("余额")(lambda m: "b")


def test_commands_are_listed_in_order():
    router = Router()
    router.text("帮助", summary="帮助", order=1000)(lambda m: None)
    router.text("余额", summary="查询余额", order=10)(lambda m: None)
    router.text("hidden")(lambda m: None)
    assert [c.keywords[0] for c in router.commands] == ["余额", "帮助"]


def test_clicks_events_and_fallbacks():
    router = Router()
    router.click("BALANCE")(lambda m: "click")
    router.event("subscribe")(lambda m: "welcome")
    router.fallback_text(lambda m: "fallback")
    router.unsupported(lambda m: "unsupported")
    assert router.dispatch(_msg(event_message("o", "CLICK", "BALANCE"))).content == "click"
    assert router.dispatch(_msg(event_message("o", "CLICK", "OTHER"))).content == "unsupported"
    assert router.dispatch(_msg(event_message("o", "subscribe"))).content == "welcome"
    assert router.dispatch(_msg(event_message("o", "LOCATION"))) is None
    assert router.dispatch(_msg(text_message("o", "什么", 3))).content == "fallback"


def test_help_lists_every_registered_command(app):
    router = app.extensions["wechat_router"]
    with app.app_context():
        text = help_text(router)
    for command in router.commands:
        assert f"「{command.keywords[0]}」" in text
