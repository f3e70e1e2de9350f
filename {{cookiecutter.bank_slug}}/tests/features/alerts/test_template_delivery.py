"""A template notice against the live mock: values checked before sending (an unfit one goes by the next
channel with the reason, never as a 47003), client_msg_id per notice (a resend is not delivered twice),
and WeChat's TEMPLATESENDJOBFINISH report recorded on the notice and shown as 送达结果."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import DELIVERED, PENDING, SENDING, SMS, UNDELIVERABLE, Alert
from {{ cookiecutter.bank_slug }}.features.alerts.preferences import Rules, save_rules
from {{ cookiecutter.bank_slug }}.outbox import claims, delivery_report
from {{ cookiecutter.bank_slug }}.outbox.delivery_report import status_label
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import client_msg_id
from {{ cookiecutter.bank_slug }}.outbox.models import HeldDeliveryReport
from {{ cookiecutter.bank_slug }}.outbox.retention import prune
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...helpers import mock_control_client
from ...ledger_helpers import seed
from ...live_sandbox import live_sandbox
from .conftest import FAST_RETRIES
from .support import alerts, bind, transfer
from .test_dispatcher import ALICE, PHONE, drain, settle_opening_alerts, templates

# An account whose template shows the card tail in a `name` keyword: "0018" is no name, WeChat would say 47003.
MISMAPPED = "type=thing1,amount=amount2,time=time3,card=name4,balance=amount5"


@pytest.fixture
def alice(sandbox, sandbox_accounts):
    """张伟's first card bound by a follower of the mock (as in test_dispatcher.py)."""
    settle_opening_alerts(sandbox)
    sandbox.state.add_user(ALICE, "小张", subscribed=True)
    bind(sandbox.service, ALICE, sandbox_accounts[0].account_id, sms_phone=PHONE)
    return sandbox_accounts


@pytest.fixture
def mismapped(make_app):
    app = make_app(**FAST_RETRIES, ALERT_TEMPLATE_FIELDS=MISMAPPED)
    with live_sandbox(app) as live:
        accounts = seed(app)
        settle_opening_alerts(live)
        live.state.add_user(ALICE, "小张", subscribed=True)
        bind(app, ALICE, accounts[0].account_id, sms_phone=PHONE)
        yield live, accounts


def test_every_template_send_carries_the_notices_client_msg_id(sandbox, alice):
    transfer(sandbox.service, alice[0], alice[2], 500)
    drain(sandbox)
    (sent,) = templates(sandbox)
    mine = alerts(sandbox.service, state=DELIVERED)[-1]
    assert sent.payload["client_msg_id"] == client_msg_id(mine.id) == f"notice-{mine.id}"


def test_a_resend_within_10_minutes_is_not_delivered_twice(sandbox, alice):
    transfer(sandbox.service, alice[0], alice[2], 500)
    drain(sandbox)
    mine = alerts(sandbox.service, state=DELIVERED)[-1]
    with sandbox.service.app_context():  # as if the answer had been lost and the lease ran out
        db.session.execute(update(Alert).where(Alert.id == mine.id).values(state=PENDING, next_attempt_at=utcnow()))
        db.session.commit()
    drain(sandbox)
    again = alerts(sandbox.service, id=mine.id)[0]
    assert again.state == DELIVERED and again.msgid == mine.msgid  # WeChat's answer: the first msgid
    assert len(templates(sandbox)) == 1  # one message reached the customer


def test_an_unfit_value_falls_back_to_sms_with_the_reason_and_wechat_is_not_asked(mismapped):
    live, accounts = mismapped
    with live.service.app_context():
        save_rules(ALICE, Rules(enabled=True, min_amount_fen=0, sms_fallback=True))
    calls = live.state.api_calls
    transfer(live.service, accounts[0], accounts[2], 800)
    drain(live)
    mine = alerts(live.service, account_id=accounts[0].account_id)[-1]
    assert (mine.state, mine.channel) == (SMS, "sms")
    assert "name4 (name): invalid" in mine.last_error and "template value unfit" in mine.last_error
    assert templates(live) == [] and live.state.api_calls == calls  # no template send, so no 47003
    assert len(live.state.records_since(kind="sms")) == 1


def test_an_unfit_value_without_another_channel_is_undeliverable_with_the_reason(mismapped):
    live, accounts = mismapped
    with live.service.app_context():
        save_rules(ALICE, Rules(enabled=True, min_amount_fen=0, sms_fallback=False))
    transfer(live.service, accounts[0], accounts[2], 800)
    drain(live)
    mine = alerts(live.service, account_id=accounts[0].account_id)[-1]
    assert (mine.state, mine.final_reason) == (UNDELIVERABLE, "template_unfit")
    assert "name4" in mine.last_error
    assert templates(live) == []


@pytest.mark.parametrize(("status", "label"), [("success", "已送达"), ("failed:user block", "用户拒收"),
                                               ("failed: system failed", "微信系统失败")])
def test_templatesendjobfinish_is_recorded_on_the_notice(sandbox, alice, status, label):
    transfer(sandbox.service, alice[0], alice[2], 500)
    drain(sandbox)
    mine = alerts(sandbox.service, state=DELIVERED)[-1]
    assert mine.delivery_status is None
    answer = mock_control_client(sandbox.mock).post(f"/_mock/template_jobs/{mine.msgid}/finish",
                                                   json={"status": status})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["service_status"] == 200 and answer.get_json()["error"] is None
    reported = alerts(sandbox.service, id=mine.id)[0]
    assert reported.delivery_status == status and reported.delivery_reported_at is not None
    with sandbox.service.test_request_context():
        assert status_label(reported.delivery_status) == label


def test_the_mock_pushes_the_report_by_itself_when_auto_finish_is_on(sandbox, alice):
    control = mock_control_client(sandbox.mock)
    assert control.put("/_mock/template_jobs", json={"auto_finish": "failed:user block"}).status_code == 200
    transfer(sandbox.service, alice[0], alice[2], 500)
    drain(sandbox)
    delivered = {alert.id for alert in alerts(sandbox.service, state=DELIVERED)}  # no order is promised
    reported = []
    for _ in range(500):  # the push comes from the mock's background thread
        reported = [alert.delivery_status for alert in alerts(sandbox.service, state=DELIVERED)
                    if alert.id in delivered and alert.delivery_status]
        if reported:
            break
        time.sleep(0.02)
    assert delivered and reported and set(reported) == {"failed:user block"}, reported


def test_a_report_for_an_unknown_msgid_changes_nothing_and_is_answered(sandbox, alice):
    with sandbox.service.app_context():
        assert delivery_report.record(999_999_999, "success") == 0
        assert delivery_report.record(None, "success") == 0


def test_a_report_pushed_before_the_send_is_recorded_is_held_and_applied_with_the_record(app):
    """WeChat can push TEMPLATESENDJOBFINISH while the dispatcher still holds the send's answer in its batch."""
    held = HeldDeliveryReport.__table__
    with app.app_context():
        notice = Alert(source="core", source_txn_id="held-1", account_id="A-1", kind="transfer_out", amount_fen=-100,
                       occurred_at=utcnow(), state=SENDING, lease_owner="dispatcher-1")
        db.session.add(notice)
        db.session.commit()
        assert delivery_report.record(7_001, "failed:user block") == 0
        assert delivery_report.record(7_001, "failed:user block") == 0  # WeChat's retry of the push: one row
        with db.engine.connect() as connection:
            assert connection.execute(select(held.c.msgid, held.c.status)).all() == [("7001", "failed:user block")]
        written = claims.record(db.engine, "dispatcher-1",
                                [claims.Update(notice.id, DELIVERED, utcnow(), tries=1, msgid="7001")])
        assert written == 1
        db.session.expire_all()
        reported = db.session.get(Alert, notice.id)
        assert (reported.state, reported.delivery_status) == (DELIVERED, "failed:user block")
        assert reported.delivery_reported_at is not None
        with db.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(held)) == 0


def test_a_report_held_while_the_dispatcher_records_the_msgid_is_still_applied(app, monkeypatch):
    """The race the CI caught: the dispatcher records the msgid and looks for held reports before the report's
    hold is committed. The report looks again after committing, so it is not held forever."""
    held = HeldDeliveryReport.__table__
    with app.app_context():
        notice = Alert(source="core", source_txn_id="held-race", account_id="A-1", kind="transfer_out",
                       amount_fen=-100, occurred_at=utcnow(), state=SENDING, lease_owner="dispatcher-1")
        db.session.add(notice)
        db.session.commit()
        hold = delivery_report._hold

        def hold_while_the_dispatcher_records(connection, msgid, status, now):
            hold(connection, msgid, status, now)
            # ...and in between, the dispatcher's record (which found no held report) is written
            connection.execute(update(Alert.__table__).where(Alert.__table__.c.id == notice.id)
                               .values(state=DELIVERED, msgid=msgid, lease_owner=None))

        monkeypatch.setattr(delivery_report, "_hold", hold_while_the_dispatcher_records)
        assert delivery_report.record(7_004, "success") == 1
        db.session.expire_all()
        assert db.session.get(Alert, notice.id).delivery_status == "success"
        with db.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(held)) == 0


def test_held_reports_whose_notice_never_came_go_with_prune(app):
    held = HeldDeliveryReport.__table__
    with app.app_context():
        assert delivery_report.record(7_002, "success") == 0
        with db.engine.begin() as connection:
            connection.execute(update(held).values(received_at=utcnow() - timedelta(days=40)))
        assert delivery_report.record(7_003, "success") == 0
        prune(db.engine, utcnow() - timedelta(days=30))
        with db.engine.connect() as connection:
            assert connection.execute(select(held.c.msgid)).scalars().all() == ["7003"]
