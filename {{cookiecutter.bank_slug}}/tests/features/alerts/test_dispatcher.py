"""The dispatcher against the live mock WeChat API: template messages in WeChat's format, the
customer's rules, SMS only when WeChat cannot deliver, retries, token refresh, quota pause, expiry."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import (
    DELIVERED,
    EXPIRED,
    PENDING,
    SENDING,
    SMS,
    UNDELIVERABLE,
    Alert,
)
from {{ cookiecutter.bank_slug }}.features.alerts.preferences import Rules, save_rules
from {{ cookiecutter.bank_slug }}.outbox import claims
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.token_store import token_store

from ...ledger_helpers import seed
from ...live_sandbox import live_sandbox
from .conftest import set_faults
from .support import alerts, bind, transfer

ALICE = "oAliceAlerts0000000000000001"
PHONE = "13800138001"


def drain(live, wait: float = 5.0, **kwargs):
    dispatcher = Dispatcher(live.service, **kwargs)
    try:
        return dispatcher.drain(wait)
    finally:
        dispatcher.close()


def templates(live):
    return live.state.records_since(kind="template")


def settle_opening_alerts(live):
    """The demo accounts' opening deposits are alerts too: end them before the test's own."""
    drain(live, wait=0)


@pytest.fixture
def alice(sandbox, sandbox_accounts):
    """张伟's first card bound by a follower of the mock; the opening-deposit alerts already settled."""
    live = sandbox
    settle_opening_alerts(live)
    live.state.add_user(ALICE, "小张", subscribed=True)
    bind(live.service, ALICE, sandbox_accounts[0].account_id, card_mask="6228 **** **** 0018", sms_phone=PHONE)
    return sandbox_accounts


def test_a_transfer_reaches_the_payer_as_a_template_message(sandbox, alice):
    accounts = alice
    transfer(sandbox.service, accounts[0], accounts[2], 12_345)
    counts = drain(sandbox)
    assert counts[DELIVERED] == 1 and counts[UNDELIVERABLE] == 1  # the payee's card is not bound
    (sent,) = templates(sandbox)
    body = sent.payload
    assert body["touser"] == ALICE and body["template_id"] == sandbox.service.config["ALERT_TEMPLATE_ID"]
    values = {keyword: item["value"] for keyword, item in body["data"].items()}
    assert values["thing1"] == "转账支出" and values["amount2"] == "¥123.45"
    assert values["character_string4"] == "0018"
    balance = accounts[0].balance_fen - 12_345
    assert values["amount5"] == f"¥{balance // 100}.{balance % 100:02d}"
    assert "年" in values["time3"] and ":" in values["time3"]
    delivered = alerts(sandbox.service, state=DELIVERED)[-1]
    assert urlsplit(body["url"]).path == f"/h5/alerts/{delivered.id}"
    assert delivered.msgid and delivered.channel == "wechat" and delivered.attempts == 1
    payee_alert = [a for a in alerts(sandbox.service) if a.account_id == accounts[2].account_id][-1]
    assert (payee_alert.state, payee_alert.final_reason) == (UNDELIVERABLE, "not_bound")


def test_rules_off_and_minimum_amount_send_nothing(sandbox, alice):
    accounts = alice
    with sandbox.service.app_context():
        save_rules(ALICE, Rules(enabled=True, min_amount_fen=10_000, sms_fallback=False))
    transfer(sandbox.service, accounts[0], accounts[2], 9_999)
    transfer(sandbox.service, accounts[0], accounts[2], 10_000)
    drain(sandbox)
    assert len(templates(sandbox)) == 1
    mine = [a for a in alerts(sandbox.service) if a.account_id == accounts[0].account_id][-2:]
    assert [(a.state, a.final_reason) for a in mine] == [(UNDELIVERABLE, "below_minimum"), (DELIVERED, None)]
    with sandbox.service.app_context():
        save_rules(ALICE, Rules(enabled=False, min_amount_fen=0, sms_fallback=False))
    transfer(sandbox.service, accounts[0], accounts[2], 50_000)
    drain(sandbox)
    assert len(templates(sandbox)) == 1
    assert alerts(sandbox.service, account_id=accounts[0].account_id)[-1].final_reason == "alerts_off"


def test_43004_falls_back_to_sms_once_when_opted_in(sandbox, alice):
    accounts = alice
    with sandbox.service.app_context():
        save_rules(ALICE, Rules(enabled=True, min_amount_fen=0, sms_fallback=True))
    sandbox.state.set_subscribed(ALICE, False)  # WeChat knows; our binding does not (yet)
    transfer(sandbox.service, accounts[0], accounts[2], 800)
    drain(sandbox)
    mine = alerts(sandbox.service, account_id=accounts[0].account_id)[-1]
    assert (mine.state, mine.channel) == (SMS, "sms")
    assert "43004" in mine.last_error
    assert templates(sandbox) == []  # refused by WeChat, so not recorded as sent
    (sms,) = sandbox.state.records_since(kind="sms")
    assert sms.payload["text"].startswith(f"【{sandbox.service.config['BANK_SHORT_NAME']}】您尾号0018的账户")
    assert "转账支出8.00元" in sms.payload["text"]


def test_43004_without_sms_opt_in_is_undeliverable(sandbox, alice):
    accounts = alice
    sandbox.state.set_subscribed(ALICE, False)
    transfer(sandbox.service, accounts[0], accounts[2], 800)
    drain(sandbox)
    mine = alerts(sandbox.service, account_id=accounts[0].account_id)[-1]
    assert (mine.state, mine.final_reason) == (UNDELIVERABLE, "not_following")
    assert sandbox.state.records_since(kind="sms") == []


def test_an_unsubscribed_binding_goes_straight_to_sms(sandbox, alice):
    accounts = alice
    with sandbox.service.app_context():
        save_rules(ALICE, Rules(enabled=True, min_amount_fen=0, sms_fallback=True))
    bind(sandbox.service, "oOtherAlerts0000000000000002", accounts[3].account_id, following=False, sms_phone=PHONE)
    calls = sandbox.state.api_calls
    transfer(sandbox.service, accounts[2], accounts[3], 100)
    drain(sandbox)
    theirs = alerts(sandbox.service, account_id=accounts[3].account_id)[-1]
    assert theirs.state == UNDELIVERABLE  # that user has no SMS opt-in
    with sandbox.service.app_context():
        save_rules("oOtherAlerts0000000000000002", Rules(enabled=True, min_amount_fen=0, sms_fallback=True))
    transfer(sandbox.service, accounts[2], accounts[3], 100)
    drain(sandbox)
    assert alerts(sandbox.service, account_id=accounts[3].account_id)[-1].state == SMS
    assert sandbox.state.api_calls == calls  # no WeChat call for a user known to have unfollowed


def test_timeouts_5xx_and_busy_are_retried_until_delivered(sandbox, alice):
    accounts = alice
    set_faults(sandbox, timeout_rate=0.1, http_5xx_rate=0.2, errcodes={"-1": 0.2})
    for n in range(20):
        transfer(sandbox.service, accounts[0], accounts[2], 100 + n)
    counts = drain(sandbox, wait=10)
    mine = alerts(sandbox.service, account_id=accounts[0].account_id)[-20:]
    assert all(a.state == DELIVERED for a in mine), [(a.state, a.last_error) for a in mine]
    assert counts["retry_scheduled"] > 0 and sandbox.state.faults_injected > 0
    assert sum(a.attempts for a in mine) == 20 + counts["retry_scheduled"]
    # A timed-out call never reached the handler here, so every alert is recorded exactly once.
    assert sorted(int(t.payload["url"].rsplit("/", 1)[1]) for t in templates(sandbox)) == [a.id for a in mine]


def test_a_token_replaced_behind_our_back_is_refreshed_once(sandbox, alice):
    accounts = alice
    transfer(sandbox.service, accounts[0], accounts[2], 100)
    drain(sandbox)
    issued = sandbox.state.stable.issued
    sandbox.state.stable.get(force_refresh=True)  # another party forced a new stable token: ours now gets 40001
    for n in range(5):
        transfer(sandbox.service, accounts[0], accounts[2], 200 + n)
    drain(sandbox)
    assert all(a.state == DELIVERED for a in alerts(sandbox.service, account_id=accounts[0].account_id)[-5:])
    # our one forced refresh came within 30 s of theirs: WeChat handed back that token, made no other
    assert sandbox.state.stable.issued == issued + 1
    with sandbox.service.app_context():
        store = token_store()
        assert store.current().forced_today(store.clock()) == 1


def test_45009_pauses_the_dispatcher_and_resumes_later(sandbox, alice):
    accounts = alice
    set_faults(sandbox, errcodes={"45009": 1.0})
    transfer(sandbox.service, accounts[0], accounts[2], 100)
    counts = drain(sandbox, wait=0)
    assert counts["pauses"] == 1
    mine = alerts(sandbox.service, account_id=accounts[0].account_id)[-1]
    assert mine.state == PENDING and mine.attempts == 0 and "45009" in mine.last_error
    assert mine.next_attempt_at >= utcnow() + timedelta(seconds=20)  # ALERT_QUOTA_PAUSE_SECONDS = 30
    set_faults(sandbox)
    with sandbox.service.app_context():  # the pause is over
        db.session.execute(update(Alert).where(Alert.id == mine.id).values(next_attempt_at=utcnow()))
        db.session.commit()
    drain(sandbox)
    assert alerts(sandbox.service, account_id=accounts[0].account_id)[-1].state == DELIVERED


def test_an_unfit_message_is_undeliverable_with_the_errcode(make_app):
    app = make_app(ALERT_TEMPLATE_ID="no_such_template", ALERT_MIN_AMOUNT_YUAN="0")
    with live_sandbox(app) as live:
        accounts = seed(app)
        live.state.add_user(ALICE, subscribed=True)
        bind(app, ALICE, accounts[0].account_id)
        drain(live)
        mine = alerts(app, account_id=accounts[0].account_id)[-1]
        assert (mine.state, mine.final_reason) == (UNDELIVERABLE, "wechat_rejected")
        assert "40037" in mine.last_error


def test_retries_end_after_the_configured_attempts(make_app):
    app = make_app(ALERT_MAX_ATTEMPTS=3, ALERT_RETRY_BASE_SECONDS=0.01, ALERT_RETRY_MAX_SECONDS=0.02,
                   ALERT_MIN_AMOUNT_YUAN="0")
    with live_sandbox(app) as live:
        accounts = seed(app)
        live.state.add_user(ALICE, subscribed=True)
        bind(app, ALICE, accounts[0].account_id)
        set_faults(live, http_5xx_rate=1.0)
        drain(live, wait=5)
        mine = alerts(app, account_id=accounts[0].account_id)[-1]
        assert (mine.state, mine.final_reason, mine.attempts) == (UNDELIVERABLE, "retries_exhausted", 3)
        assert mine.finished_at is not None


def test_an_old_alert_expires_without_a_call(sandbox, alice):
    accounts = alice
    transfer(sandbox.service, accounts[0], accounts[2], 100)
    with sandbox.service.app_context():
        db.session.execute(update(Alert).where(Alert.state == PENDING)
                           .values(occurred_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    calls = sandbox.state.api_calls
    counts = drain(sandbox)
    assert counts[EXPIRED] == 2 and sandbox.state.api_calls == calls


def test_a_dead_dispatchers_batch_is_claimed_again_after_its_lease(sandbox, alice):
    accounts = alice
    transfer(sandbox.service, accounts[0], accounts[2], 100)
    with sandbox.service.app_context():
        engine = db.engine
    now = utcnow()
    held = claims.claim(engine, "dead-dispatcher", 10, now, lease_seconds=60)
    assert len(held) == 2
    assert claims.claim(engine, "another", 10, now, lease_seconds=60) == []  # leased
    later = claims.claim(engine, "another", 10, now + timedelta(seconds=61), lease_seconds=60)
    assert {row.id for row in later} == {row.id for row in held}
    # The dead one's late result is ignored: the alert is another's now.
    assert claims.record(engine, "dead-dispatcher", [claims.Update(held[0].id, DELIVERED, now)]) == 0
    assert alerts(sandbox.service, id=held[0].id)[0].state == SENDING


def test_an_alert_in_any_final_state_is_not_claimed_again(sandbox, alice):
    accounts = alice
    transfer(sandbox.service, accounts[0], accounts[2], 100)
    drain(sandbox)
    with sandbox.service.app_context():
        assert claims.claim(db.engine, "x", 100, utcnow() + timedelta(days=1), 60) == []
