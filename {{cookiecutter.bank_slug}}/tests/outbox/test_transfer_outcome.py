"""The transfer outcome through the outbox: written in the order's final commit (and rolled back with it),
delivered by the dispatcher by the one channel rule (template; customer-service message only inside the
48-hour window; SMS only where opted in), exactly one channel; an unknown topic never stalls the loop."""

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, select
from wechatpy import parse_message

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.preferences import Rules, save_rules
from {{ cookiecutter.bank_slug }}.features.transfers import service
from {{ cookiecutter.bank_slug }}.features.transfers.models import POSTED, PROCESSING, TransferOrder
from {{ cookiecutter.bank_slug }}.features.transfers.notify import outcome_row
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher
from {{ cookiecutter.bank_slug }}.outbox.models import DELIVERED, SMS, UNDELIVERABLE, Notice
from {{ cookiecutter.bank_slug }}.outbox.writer import add_notice, notice_row
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import text_message
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import Interaction
from {{ cookiecutter.bank_slug }}.wechat.window import open_windows, record_if_opening, record_interaction

from ..features.alerts.support import bind
from ..live_sandbox import live_sandbox

ALICE = "oAliceOutbox0000000000000001"
PHONE = "13800138002"
ACCOUNT = "ACC-OUTBOX-1"
FAST = {"ALERT_RETRY_BASE_SECONDS": 0.01, "ALERT_RETRY_MAX_SECONDS": 0.05, "ALERT_SEND_TIMEOUT_SECONDS": 0.5,
        "ALERT_CONCURRENT_SENDS": 4, "ALERT_MAX_ATTEMPTS": 5}


@pytest.fixture
def live(make_app):
    with live_sandbox(make_app(**FAST)) as sandbox:
        sandbox.state.settings = replace(sandbox.state.settings, timeout_seconds=1.0)
        sandbox.state.add_user(ALICE, "小张", subscribed=True)
        bind(sandbox.service, ALICE, ACCOUNT, card_mask="6228 **** **** 0018", sms_phone=PHONE)
        yield sandbox


def _order(app, status=PROCESSING) -> int:
    with app.app_context():
        order = TransferOrder(idempotency_key="k" * 20, openid=ALICE, binding_id=1, from_account_id=ACCOUNT,
                              from_card_masked="6228 **** **** 0018", payee_number="6228480000000000018",
                              payee_name="李娜", payee_bank="", amount_fen=12_345, status=status)
        db.session.add(order)
        db.session.commit()
        return order.id


def _outcome_notice(app, status=POSTED, failure=None) -> None:
    """An order finished with `status` by the service's own _finish (the order's final commit)."""
    order_id = _order(app)
    with app.app_context():
        service._finish(db.session.get(TransferOrder, order_id), status, message=failure)


def notices(app, **where) -> list[Notice]:
    with app.app_context():
        query = select(Notice).order_by(Notice.id)
        for name, value in where.items():
            query = query.where(getattr(Notice, name) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def drain(live):
    dispatcher = Dispatcher(live.service)
    try:
        return dispatcher.drain(2.0)
    finally:
        dispatcher.close()


def sent(live, kind):
    return live.state.records_since(kind=kind)


def opt_in_sms(app, on=True):
    with app.app_context():
        save_rules(ALICE, Rules(enabled=True, min_amount_fen=0, sms_fallback=on))


def no_template(live):
    live.service.config["TRANSFER_TEMPLATE_ID"] = ""


def test_the_notice_is_written_with_the_orders_final_status(live):
    _outcome_notice(live.service)
    (notice,) = notices(live.service, topic="transfer_outcome")
    with live.service.app_context():
        order = db.session.scalar(select(TransferOrder))
    assert order.status == POSTED and notice.state == "pending" and notice.openid == ALICE
    payload = json.loads(notice.payload)
    assert payload["status"] == POSTED and payload["order_id"] == order.id and payload["amount_fen"] == 12_345
    assert payload["card_tail"] == "0018" and payload["payee_name_masked"] == "李*"
    assert "6228480000000000018" not in notice.payload and "李娜" not in notice.payload  # masked only
    assert sent(live, "custom") == [] and sent(live, "template") == []  # nothing sent while finishing


def test_the_notice_rolls_back_with_the_order(live):
    order_id = _order(live.service)

    def boom(session):
        raise RuntimeError("the commit fails after the notice was added")

    with live.service.app_context():
        session = db.session()
        event.listen(session, "before_commit", boom)
        try:
            with pytest.raises(RuntimeError):
                service._finish(db.session.get(TransferOrder, order_id), POSTED)
            db.session.rollback()
        finally:
            event.remove(session, "before_commit", boom)
        assert db.session.get(TransferOrder, order_id).status == PROCESSING
    assert notices(live.service, topic="transfer_outcome") == []


def test_drain_delivers_it_as_a_template_message_with_the_right_fields(live):
    _outcome_notice(live.service)
    counts = drain(live)
    assert counts[DELIVERED] == 1
    (message,) = sent(live, "template")
    template_id = live.service.config["TRANSFER_TEMPLATE_ID"]
    assert message.payload["template_id"] == template_id == "sandbox_tmpl_transfer_result"
    values = {keyword: item["value"] for keyword, item in message.payload["data"].items()}
    assert values["thing1"] == "李*" and values["amount2"] == "¥123.45" and values["phrase3"] == "转账成功"
    assert values["character_string5"] == "0018" and "年" in values["time4"]
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert (notice.state, notice.channel) == (DELIVERED, "wechat") and sent(live, "custom") == []


def test_without_a_template_a_closed_window_never_gets_a_customer_service_message(live):
    no_template(live)
    _outcome_notice(live.service)
    drain(live)
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert (notice.state, notice.final_reason, notice.channel) == (UNDELIVERABLE, "window_closed", None)
    assert sent(live, "custom") == [] and sent(live, "sms") == []


def test_without_a_template_a_closed_window_goes_by_sms_when_opted_in(live):
    no_template(live)
    opt_in_sms(live.service)
    _outcome_notice(live.service, "failed", failure="可用余额不足")
    drain(live)
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert (notice.state, notice.channel) == (SMS, "sms")
    (sms,) = sent(live, "sms")
    assert "【转账失败】" in sms.payload["text"] and "可用余额不足" in sms.payload["text"]
    assert sent(live, "custom") == []


def test_inside_the_window_it_goes_as_a_customer_service_message(live):
    no_template(live)
    with live.service.app_context():
        record_interaction(db.engine, ALICE)
    _outcome_notice(live.service)
    drain(live)
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert (notice.state, notice.channel) == (DELIVERED, "kefu")
    (message,) = sent(live, "custom")
    assert message.payload["text"]["content"].startswith("【转账成功】") and sent(live, "sms") == []


@pytest.mark.parametrize("sms_opt_in", [True, False])
def test_45015_closes_the_window_and_falls_back_by_rule(live, sms_opt_in):
    no_template(live)
    opt_in_sms(live.service, sms_opt_in)
    with live.service.app_context():  # we believe the window open; the mock knows better (49 hours ago)
        record_interaction(db.engine, ALICE)
    live.state.user(ALICE).last_interaction = int(live.state.clock()) - 49 * 3600
    _outcome_notice(live.service)
    drain(live)
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert sent(live, "custom") == []  # refused with 45015: nothing reached the chat
    if sms_opt_in:
        assert (notice.state, notice.channel) == (SMS, "sms") and len(sent(live, "sms")) == 1
    else:
        assert (notice.state, notice.final_reason) == (UNDELIVERABLE, "window_closed") and sent(live, "sms") == []
    assert "45015" in notice.last_error
    with live.service.app_context():
        assert db.session.get(Interaction, ALICE).last_at is None  # closed until Alice interacts again


@pytest.mark.parametrize("sms_opt_in", [True, False])
def test_43004_falls_back_by_rule_with_exactly_one_channel(live, sms_opt_in):
    opt_in_sms(live.service, sms_opt_in)
    live.state.set_subscribed(ALICE, False)
    _outcome_notice(live.service)
    drain(live)
    (notice,) = notices(live.service, topic="transfer_outcome")
    assert sent(live, "template") == [] and sent(live, "custom") == []
    if sms_opt_in:
        assert (notice.state, notice.channel) == (SMS, "sms") and len(sent(live, "sms")) == 1
    else:
        assert (notice.state, notice.final_reason) == (UNDELIVERABLE, "not_following") and sent(live, "sms") == []


def test_a_notice_of_an_unknown_topic_ends_undeliverable_and_the_loop_goes_on(live):
    now = utcnow()
    with live.service.app_context():
        add_notice(db.session, notice_row("no_such_topic", source="test", source_txn_id="x1", account_id=ACCOUNT,
                                          kind="other", amount_fen=0, occurred_at=now, openid=ALICE))
        db.session.commit()
    _outcome_notice(live.service)
    counts = drain(live)
    assert counts[DELIVERED] == 1 and counts[UNDELIVERABLE] == 1
    (unknown,) = notices(live.service, topic="no_such_topic")
    assert (unknown.state, unknown.final_reason, unknown.channel) == (UNDELIVERABLE, "unknown_topic", None)
    assert unknown.finished_at is not None


def test_outcome_rows_are_one_per_order_and_status(live):
    order_id = _order(live.service, status=POSTED)
    with live.service.app_context():
        row = outcome_row(db.session.get(TransferOrder, order_id), utcnow())
    assert (row["topic"], row["source"], row["source_txn_id"]) == ("transfer_outcome", "transfer", f"{order_id}:posted")


def test_a_message_or_a_follow_opens_the_window_a_location_report_does_not(live):
    app = live.service
    with app.app_context():
        record_if_opening(db.engine, parse_message(text_message(ALICE, "你好", 1)))
        later = utcnow() + timedelta(hours=47)
        with db.engine.connect() as connection:
            assert open_windows(connection, [ALICE], later) == {ALICE}
            assert open_windows(connection, [ALICE], later + timedelta(hours=2)) == set()
        location = parse_message(
            "<xml><ToUserName>gh</ToUserName><FromUserName>oBob</FromUserName><CreateTime>1</CreateTime>"
            "<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>1</Latitude><Longitude>1</Longitude>"
            "<Precision>1</Precision></xml>")
        record_if_opening(db.engine, location)
        assert db.session.get(Interaction, "oBob") is None
