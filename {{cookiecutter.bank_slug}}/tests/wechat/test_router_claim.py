"""Router claims (`router.claim`): consulted before keyword routing for every message that is not an event, in
registration order; a claim that returns None lets the message route as usual; events are never claimed."""

from wechatpy import parse_message

from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import event_message, text_message
from {{ cookiecutter.bank_slug }}.wechat.router import Router


def _router(claims):
    router = Router()
    router.text("余额")(lambda message: "balance")
    router.event("subscribe")(lambda message: "welcome")
    router.fallback_text(lambda message: "fallback")
    for claim in claims:
        router.claim(claim)
    return router


def test_a_claim_takes_keywords_and_other_text_first():
    router = _router([lambda message: (lambda m: "claimed") if message.source == "oTaken" else None])
    taken = parse_message(text_message("oTaken", "余额", 1))
    free = parse_message(text_message("oFree", "余额", 2))
    assert router.dispatch(taken).content == "claimed"
    assert router.dispatch(free).content == "balance"
    assert router.dispatch(parse_message(text_message("oFree", "什么", 3))).content == "fallback"


def test_events_are_never_claimed_and_claims_run_in_order():
    seen = []
    first = lambda message: seen.append("first")  # noqa: E731 - returns None: passes the message on
    second = lambda message: (lambda m: "second")  # noqa: E731
    router = _router([first, second])
    assert router.dispatch(parse_message(event_message("oTaken", "subscribe"))).content == "welcome"
    assert seen == []
    assert router.dispatch(parse_message(text_message("oTaken", "余额", 4))).content == "second"
    assert seen == ["first"]
