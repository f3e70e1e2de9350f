"""Router.observe: listeners see an event before its handler, whose reply is the one sent; other events and
messages do not reach them."""

from wechatpy import parse_message

from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import event_message, text_message
from {{ cookiecutter.bank_slug }}.wechat.router import Router


def test_observers_run_before_the_handler_and_leave_the_reply_alone():
    router = Router()
    seen = []
    router.event("subscribe", "subscribe_scan")(lambda m: seen.append("handler") or "欢迎")
    router.observe("subscribe_scan")(lambda m: seen.append(("observer", m.scene_id)) or "ignored")
    reply = router.dispatch(parse_message(event_message("o1", "subscribe", "qrscene_branch:0101")))
    assert reply.content == "欢迎" and seen == [("observer", "branch:0101"), "handler"]
    seen.clear()
    router.dispatch(parse_message(event_message("o1", "subscribe")))  # a follow without a code
    router.dispatch(parse_message(text_message("o1", "subscribe_scan", 1)))
    assert seen == ["handler"]


def test_an_observed_event_nobody_answers_is_success():
    router = Router()
    seen = []
    router.observe("scan")(seen.append)
    assert router.dispatch(parse_message(event_message("o1", "SCAN", "x"))) is None
    assert len(seen) == 1
