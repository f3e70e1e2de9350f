"""WeChat's customer-service windows against the mock: a message opens 48 h with 5 messages, a click /
follow / scan 1 minute with 3; the outbox counts them and goes by SMS when none is left; the mock answers
45015 outside the windows and 45047 over the count, from what it pushed itself."""

from dataclasses import replace
from datetime import timedelta

import pytest
from wechatpy import parse_message
from wechatpy.exceptions import WeChatClientException

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.transfers import service
from {{ cookiecutter.bank_slug }}.features.transfers.models import POSTED, PROCESSING, TransferOrder
from {{ cookiecutter.bank_slug }}.outbox.models import SMS, UNDELIVERABLE
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.errors import ERRMSG, WeChatError
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import event_message, text_message
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat import window
from {{ cookiecutter.bank_slug }}.wechat.client import get_client
from {{ cookiecutter.bank_slug }}.wechat.models import Interaction

from ..features.alerts.support import bind
from ..helpers import settle
from ..live_sandbox import live_sandbox
from .test_transfer_outcome import ACCOUNT, ALICE, FAST, PHONE, drain, no_template, notices, opt_in_sms, sent


@pytest.fixture
def live(make_app):
    with live_sandbox(make_app(**FAST)) as sandbox:
        sandbox.state.settings = replace(sandbox.state.settings, timeout_seconds=1.0)
        sandbox.state.add_user(ALICE, "小张", subscribed=True)
        bind(sandbox.service, ALICE, ACCOUNT, card_mask="6228 **** **** 0018", sms_phone=PHONE)
        no_template(sandbox)
        opt_in_sms(sandbox.service)
        yield sandbox


def _outcomes(app, count: int) -> None:
    with app.app_context():
        for number in range(count):
            order = TransferOrder(idempotency_key=f"window-{number:014d}", openid=ALICE, binding_id=1,
                                  from_account_id=ACCOUNT, from_card_masked="6228 **** **** 0018",
                                  payee_number="6228480000000000018", payee_name="李娜", payee_bank="",
                                  amount_fen=100 + number, status=PROCESSING)
            db.session.add(order)
            db.session.commit()
            service._finish(order, POSTED)


def _channels(live) -> list[str]:
    return [notice.channel for notice in notices(live.service, topic="transfer_outcome")]


def _interaction(app) -> Interaction:
    settle(app)
    with app.app_context():
        found = db.session.get(Interaction, ALICE)
        db.session.expunge_all()
        return found


def test_after_a_message_five_go_as_customer_service_messages_the_sixth_by_sms(live):
    live.state.touch(ALICE)  # the mock relayed Alice's message ...
    with live.service.app_context():  # ... and the service recorded it
        window.record_if_opening(db.engine, parse_message(text_message(ALICE, "你好", 1)))
    _outcomes(live.service, 6)
    drain(live)
    assert sorted(_channels(live)) == ["kefu"] * 5 + ["sms"]
    assert len(sent(live, "custom")) == 5 and len(sent(live, "sms")) == 1
    assert _interaction(live.service).message_used == 5 and live.state.user(ALICE).message_used == 5


def test_after_a_click_three_go_then_sms(live):
    live.state.touch(ALICE, "event")
    with live.service.app_context():
        window.record_if_opening(db.engine, parse_message(event_message(ALICE, "CLICK", "HELP")))
    _outcomes(live.service, 4)
    drain(live)
    assert sorted(_channels(live)) == ["kefu"] * 3 + ["sms"]
    assert _interaction(live.service).event_used == 3


def test_the_event_window_lasts_one_minute(live):
    with live.service.app_context():
        window.record_interaction(db.engine, ALICE, kind=window.EVENT)
        now = utcnow()
        with db.engine.connect() as connection:
            assert window.open_windows(connection, [ALICE], now + timedelta(seconds=59)) == {ALICE}
            assert window.open_windows(connection, [ALICE], now + timedelta(seconds=61)) == set()
            assert window.window_state(connection, ALICE, now) == {"message_left": 0, "event_left": 3}


def test_a_send_uses_the_event_window_first_then_the_message_window(live):
    with live.service.app_context():
        window.record_interaction(db.engine, ALICE, kind=window.MESSAGE)
        window.record_interaction(db.engine, ALICE, kind=window.EVENT)
        for _ in range(4):
            window.use_window(db.engine, ALICE)
        with db.engine.connect() as connection:
            assert window.window_state(connection, ALICE, utcnow()) == {"message_left": 4, "event_left": 0}


def test_the_mock_answers_45047_when_the_count_is_used_and_the_service_falls_back(live):
    live.state.touch(ALICE)
    live.state.user(ALICE).message_used = 5  # used by sends the service did not count (another system)
    with live.service.app_context():
        window.record_interaction(db.engine, ALICE)
    _outcomes(live.service, 1)
    drain(live)
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert (notice.state, notice.channel) == (SMS, "sms") and "45047" in notice.last_error
    assert sent(live, "custom") == []
    assert _interaction(live.service).last_at is None  # closed until Alice acts again


def test_the_mock_answers_45015_after_the_event_minute(live):
    live.state.touch(ALICE, "event")
    live.state.user(ALICE).last_event -= 61
    opt_in_sms(live.service, False)
    with live.service.app_context():
        window.record_interaction(db.engine, ALICE, kind=window.MESSAGE)  # the service believes it open
    _outcomes(live.service, 1)
    drain(live)
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert (notice.state, notice.final_reason) == (UNDELIVERABLE, "window_closed") and "45015" in notice.last_error


def test_the_mock_counts_its_own_windows(live):
    state = live.state
    user = state.user(ALICE)
    state.use_window(user)  # never relayed anything for Alice: the mock cannot know, it lets it through
    state.touch(ALICE, "event")
    for _ in range(3):
        state.use_window(user)
    with pytest.raises(WeChatError) as refused:
        state.use_window(user)
    assert refused.value.errcode == 45047  # the click's minute is open, its 3 are used
    user.last_event -= 61
    with pytest.raises(WeChatError) as refused:
        state.use_window(user)
    assert refused.value.errcode == 45015  # the minute is over and no message opened 48 hours
    state.touch(ALICE)
    for _ in range(5):
        state.use_window(user)
    with pytest.raises(WeChatError) as refused:
        state.use_window(user)
    assert refused.value.errcode == 45047
    state.touch(ALICE)  # a new message: a fresh count
    state.use_window(user)
    assert user.message_used == 1


@pytest.mark.parametrize("used, errcode", [(0, 45015), (5, 45047)])
def test_the_api_answers_with_wechats_codes_and_messages(live, used, errcode):
    """Through the service's own WeChat client: 45015 a message 48 h + 1 s ago, 45047 five already used."""
    live.state.touch(ALICE)
    user = live.state.user(ALICE)
    user.message_used = used
    if errcode == 45015:
        user.last_interaction -= 48 * 3600 + 1
    with live.service.app_context():
        with pytest.raises(WeChatClientException) as refused:
            get_client().message.send_text(ALICE, "您好")
    assert refused.value.errcode == errcode
    assert ERRMSG[errcode] in refused.value.errmsg
    assert sent(live, "custom") == []
