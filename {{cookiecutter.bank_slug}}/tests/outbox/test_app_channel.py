"""The app channel (a third alert channel): the customer chooses per card WeChat, the app or SMS, and each
transaction is alerted on exactly one channel. The app is a signed webhook (docs/app-push-openapi.yaml)
to the reference receiver; a failing app is retried with the same event id (never shown twice), and falls
back by rule (template message, else SMS) when it refuses or keeps failing."""

import re
import time

import pytest

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import DELIVERED, SMS, AlertChannelChoice
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.outbox.app_push import AppPushClient, classify
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher
from {{ cookiecutter.bank_slug }}.sandbox.run import serve_in_background

from ..features.alerts.conftest import FAST_RETRIES
from ..features.alerts.support import alerts, bind, transfer
from ..ledger_helpers import seed
from ..live_sandbox import live_sandbox
from .app_push_receiver import make_receiver

ALICE = "oAliceAppPush000000000000001"
PHONE = "13800138001"
SECRET = "app-push-secret-for-tests-0001"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def receiver():
    app = make_receiver(SECRET)
    server, _ = serve_in_background(app, "127.0.0.1", 0, 0.02)
    try:
        yield f"http://127.0.0.1:{server.port}", app.extensions["receiver"]
    finally:
        server.shutdown()


@pytest.fixture
def live(make_app, receiver):
    url, _ = receiver
    app = make_app(**FAST_RETRIES, APP_PUSH_URL=url, APP_PUSH_SECRET=SECRET, APP_PUSH_MAX_ATTEMPTS=3,
                   APP_PUSH_TIMEOUT_SECONDS=2.0)
    with live_sandbox(app) as sandbox:
        accounts = seed(sandbox.service)
        drain(sandbox, wait=0)  # the opening deposits' alerts
        sandbox.state.add_user(ALICE, "小张", subscribed=True)
        bind(sandbox.service, ALICE, accounts[0].account_id, card_mask="6228 **** **** 0018", sms_phone=PHONE)
        yield sandbox, accounts


def drain(sandbox, wait: float = 5.0):
    dispatcher = Dispatcher(sandbox.service)
    try:
        return dispatcher.drain(wait)
    finally:
        dispatcher.close()


def choose(app, channel: str, binding_id: int | None = None):
    """The customer's choice on the H5 alert settings page."""
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": ALICE, "at": int(time.time())}
    page = client.get("/h5/alerts").get_data(as_text=True)
    if binding_id is None:
        binding_id = int(re.search(r'name="binding_id" value="(\d+)"', page).group(1))
    return client.post("/h5/alerts/channel", data={"csrf_token": CSRF.search(page).group(1),
                                                   "binding_id": binding_id, "channel": channel})


def channels_used(sandbox, receiver_state) -> dict:
    return {"wechat": len(sandbox.state.records_since(kind="template")),
            "sms": len(sandbox.state.records_since(kind="sms")), "app": len(receiver_state["events"])}


def mine(sandbox, accounts):
    return alerts(sandbox.service, account_id=accounts[0].account_id)[-1]


def test_each_choice_alerts_on_exactly_that_one_channel(live, receiver):
    sandbox, accounts = live
    _, state = receiver
    expected = {"wechat": {"wechat": 1, "sms": 0, "app": 0}, "app": {"wechat": 1, "sms": 0, "app": 1},
                "sms": {"wechat": 1, "sms": 1, "app": 1}}
    for channel in ("wechat", "app", "sms"):
        assert choose(sandbox.service, channel).status_code == 200
        transfer(sandbox.service, accounts[0], accounts[2], 500)
        drain(sandbox)
        assert channels_used(sandbox, state) == expected[channel], channel
        alert = mine(sandbox, accounts)
        assert alert.channel == channel and alert.state in (DELIVERED, SMS)
    [event] = state["events"].values()
    assert event["card_mask"] == "6228 **** **** 0018" and event["amount_fen"] == -500
    assert event["event_id"] == f"notice-{alerts(sandbox.service, channel='app')[0].id}"
    with sandbox.service.app_context():
        assert db.session.query(AlertChannelChoice).count() == 1  # one choice per card, changed in place


def test_an_app_that_is_down_is_retried_with_the_same_event_then_wechat_takes_over_once(live, receiver):
    sandbox, accounts = live
    _, state = receiver
    choose(sandbox.service, "app")
    state["mode"] = "down"
    transfer(sandbox.service, accounts[0], accounts[2], 700)
    drain(sandbox)
    alert = mine(sandbox, accounts)
    assert state["requests"] == 3  # APP_PUSH_MAX_ATTEMPTS, then the fallback
    assert (alert.state, alert.channel) == (DELIVERED, "wechat") and "503" in alert.last_error
    assert channels_used(sandbox, state) == {"wechat": 1, "sms": 0, "app": 0}


def test_a_refusing_app_falls_back_at_once_and_to_sms_when_wechat_cannot(live, receiver):
    sandbox, accounts = live
    _, state = receiver
    choose(sandbox.service, "app")
    state["mode"] = "refuse"
    sandbox.state.set_subscribed(ALICE, False)  # WeChat cannot deliver either
    transfer(sandbox.service, accounts[0], accounts[2], 900)
    drain(sandbox)
    alert = mine(sandbox, accounts)
    assert state["requests"] == 1
    assert (alert.state, alert.channel) == (SMS, "sms")
    assert channels_used(sandbox, state) == {"wechat": 0, "sms": 1, "app": 0}


def test_a_retry_after_a_lost_answer_is_not_shown_twice(live, receiver):
    sandbox, accounts = live
    _, state = receiver
    choose(sandbox.service, "app")
    transfer(sandbox.service, accounts[0], accounts[2], 300)
    drain(sandbox)
    [event] = state["events"].values()
    class Row:  # the same notice pushed again, as after a lease ran out with the answer lost
        id = int(event["event_id"].split("-")[1])
        account_id, kind, amount_fen, balance_after_fen = event["account_id"], event["kind"], -300, None
        occurred_at = mine(sandbox, accounts).occurred_at

    answer = AppPushClient(sandbox.service.config).push(Row, event["card_mask"], "again")
    assert answer.outcome == "delivered" and len(state["events"]) == 1


def test_the_choices_offered_and_bad_choices(live, make_app):
    sandbox, _ = live
    response = choose(sandbox.service, "pigeon")
    assert response.status_code == 400
    assert choose(sandbox.service, "app", binding_id=999_999).status_code == 404


@pytest.mark.parametrize(("status", "outcome"), [(200, "delivered"), (202, "delivered"), (404, "fallback"),
                                                 (410, "fallback"), (422, "fallback"), (401, "fallback"),
                                                 (408, "retry"), (429, "retry"), (500, "retry"), (503, "retry")])
def test_what_the_platforms_answers_mean(status, outcome):
    assert classify(status).outcome == outcome


def test_deep_links_on_h5_pages_and_in_the_app_event_and_the_download_menu_entry(make_app, receiver):
    from {{ cookiecutter.bank_slug }}.features.menu.default import load_menu

    url, state = receiver
    app = make_app(**FAST_RETRIES, APP_PUSH_URL=url, APP_PUSH_SECRET=SECRET, APP_DEEP_LINK="qsbank://open?url={url}",
                   APP_DOWNLOAD_URL="https://app.example.cn/download")
    page = app.test_client().get("/h5/products").get_data(as_text=True)
    assert 'href="qsbank://open?url=http%3A%2F%2Flocalhost%2Fh5%2Fproducts"' in page and "在手机银行中打开" in page
    assert "在手机银行中打开" not in make_app().test_client().get("/h5/products").get_data(as_text=True)
    with app.app_context():
        menu = load_menu(app.config)
    middle = menu["button"][1]
    assert [b["name"] for b in middle["sub_button"]] == ["理财产品", "信用卡账单", "信用卡还款", "下载手机银行"]
    with app.app_context():
        client = AppPushClient(app.config)

    class Row:
        id, account_id, kind, amount_fen, balance_after_fen = 42, "A1", "transfer_out", -100, 900
        occurred_at = __import__("datetime").datetime(2026, 12, 1, 8, 0)

    assert client.push(Row, "6228 **** **** 0018", "text").outcome == "delivered"
    assert state["events"]["notice-42"]["link"].startswith("qsbank://open?url=") and "h5%2Falerts%2F42" in \
        state["events"]["notice-42"]["link"]
