"""The customer's alert settings (H5), a transaction's page from the message link, /metrics, `alerts status`."""

import re
from datetime import timedelta

import pytest

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import Alert
from {{ cookiecutter.bank_slug }}.features.alerts.preferences import load_rules
from {{ cookiecutter.bank_slug }}.features.alerts.service import retry_undeliverable
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import text_message
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...helpers import next_msg_id, push, reply_field
from ...ledger_helpers import seed
from .support import alerts, bind, transfer

ALICE = "oAlicePages00000000000000001"
MALLORY = "oMalloryPages000000000000001"


def as_customer(client, openid):
    import time

    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}


@pytest.fixture
def accounts(app):
    return seed(app)


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_settings_default_from_config_and_save(make_app):
    app = make_app(ALERT_MIN_AMOUNT_YUAN="50")
    client = app.test_client()
    as_customer(client, ALICE)
    page = client.get("/h5/alerts").get_data(as_text=True)
    assert "动账提醒设置" in page and 'value="50.00"' in page
    response = client.post("/h5/alerts", data={"csrf_token": csrf_token(page), "enabled": "y", "min_amount": "¥1,000.5",
                                               "sms_fallback": "y"})
    assert response.status_code == 200 and "设置已保存" in response.get_data(as_text=True)
    with app.app_context():
        rules = load_rules(ALICE, app.config)
    assert (rules.enabled, rules.min_amount_fen, rules.sms_fallback) == (True, 100_050, True)


@pytest.mark.parametrize("amount", ["abc", "1.234", "-5", "99999999999", "1e3"])
def test_bad_amounts_are_refused_and_nothing_saved(app, client, amount):
    as_customer(client, ALICE)
    token = csrf_token(client.get("/h5/alerts").get_data(as_text=True))
    response = client.post("/h5/alerts", data={"csrf_token": token, "enabled": "y", "min_amount": amount})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "最多两位小数" in page or "不能超过" in page
    with app.app_context():
        assert load_rules(ALICE, app.config).min_amount_fen == app.config["ALERT_MIN_AMOUNT_FEN"]


def test_missing_csrf_is_refused_with_a_reason(client):
    as_customer(client, ALICE)
    response = client.post("/h5/alerts", data={"enabled": "y", "min_amount": "1"})
    assert response.status_code == 400 and "安全校验" in response.get_data(as_text=True)


def test_settings_need_the_customer_to_be_identified(client):
    response = client.get("/h5/alerts")
    assert response.status_code == 302 and "authorize" in response.headers["Location"]


def test_the_transaction_page_shows_the_alert_to_its_owner_only(app, client, accounts):
    bind(app, ALICE, accounts[0].account_id, card_mask="6228 **** **** 0018")
    transfer(app, accounts[0], accounts[2], 12_345, memo="房租")
    alert = alerts(app, account_id=accounts[0].account_id)[-1]
    as_customer(client, ALICE)
    page = client.get(f"/h5/alerts/{alert.id}").get_data(as_text=True)
    assert "转账支出" in page and "-¥ 123.45" in page and "6228 **** **** 0018" in page and "房租" in page
    assert accounts[2].customer.name not in page  # the counterparty is masked
    as_customer(client, MALLORY)
    denied = client.get(f"/h5/alerts/{alert.id}")
    assert denied.status_code == 404 and "123.45" not in denied.get_data(as_text=True)
    assert client.get("/h5/alerts/999999999").status_code == 404


def _unbind(app, openid):
    from sqlalchemy import update

    from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding

    with app.app_context():
        db.session.execute(update(CardBinding).where(CardBinding.openid == openid).values(
            status="unbound", unbound_at=utcnow()))
        db.session.commit()


def test_an_unbound_phone_reads_no_alert_of_the_account_earlier_or_later(app, client, accounts):
    bind(app, ALICE, accounts[0].account_id)
    transfer(app, accounts[0], accounts[2], 1_000, memo="早")
    before = alerts(app, account_id=accounts[0].account_id)[-1]
    _unbind(app, ALICE)  # by staff or by the customer: the same row change
    transfer(app, accounts[0], accounts[2], 2_000, memo="晚")
    later = alerts(app, account_id=accounts[0].account_id)[-1]
    as_customer(client, ALICE)
    for alert in (before, later, type(later)(id=later.id + 1)):
        response = client.get(f"/h5/alerts/{alert.id}")
        assert response.status_code == 404
        assert "20.00" not in response.get_data(as_text=True) and "10.00" not in response.get_data(as_text=True)


def test_an_alert_from_before_the_binding_is_not_shown(app, client, accounts):
    transfer(app, accounts[0], accounts[2], 3_000)
    earlier = alerts(app, account_id=accounts[0].account_id)[-1]
    with app.app_context():
        from sqlalchemy import update

        db.session.execute(update(Alert).where(Alert.id == earlier.id).values(
            created_at=utcnow() - timedelta(days=3)))
        db.session.commit()
    bind(app, MALLORY, accounts[0].account_id)  # the card is bound to a new phone today
    as_customer(client, MALLORY)
    assert client.get(f"/h5/alerts/{earlier.id}").status_code == 404


@pytest.mark.parametrize("raw", ["99999999999999999999", "2147483648", "0", "18446744073709551616"])
def test_huge_or_zero_alert_ids_are_a_404_not_a_500(client, raw):
    as_customer(client, ALICE)
    assert client.get(f"/h5/alerts/{raw}").status_code == 404


def test_a_memo_with_personal_data_is_stored_and_shown_masked(app, client, accounts):
    bind(app, ALICE, accounts[0].account_id)
    transfer(app, accounts[0], accounts[2], 4_000, memo="6228480000000000018 13800138001")
    alert = alerts(app, account_id=accounts[0].account_id)[-1]
    assert "6228480000000000018" not in alert.memo and "13800138001" not in alert.memo
    as_customer(client, ALICE)
    page = client.get(f"/h5/alerts/{alert.id}").get_data(as_text=True)
    assert "6228 **** **** 0018" in page and "138****8001" in page


def test_metrics_count_states_and_the_oldest_open_alert(make_app):
    app = make_app(METRICS_TOKEN="metrics-secret-1")
    seed(app)
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    text = client.get("/metrics", headers={"Authorization": "Bearer metrics-secret-1"}).get_data(as_text=True)
    pending = len(alerts(app))
    assert re.search(rf'wechat_bank_alerts_open.state="pending". {pending}(\.0)?\n', text)
    assert re.search(r'wechat_bank_alerts_finished_24h.state="delivered". 0(\.0)?\n', text)
    age = float(re.search(r"^wechat_bank_alert_oldest_open_age_seconds (\S+)$", text, re.M).group(1))
    assert 0 <= age < 600


def test_metrics_count_what_ended_in_the_last_24_hours_only(make_app):
    app = make_app()
    seed(app)
    now = utcnow()
    with app.app_context():
        ids = [a.id for a in db.session.query(Alert).order_by(Alert.id).limit(3)]
        ended = [("delivered", 1), ("delivered", 30), ("expired", 23)]  # state, hours ago
        for alert_id, (state, hours_ago) in zip(ids, ended, strict=True):
            db.session.query(Alert).filter(Alert.id == alert_id).update(
                {"state": state, "finished_at": now - timedelta(hours=hours_ago)}, synchronize_session=False)
        db.session.commit()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert re.search(r'wechat_bank_alerts_finished_24h.state="delivered". 1(\.0)?\n', text)
    assert re.search(r'wechat_bank_alerts_finished_24h.state="expired". 1(\.0)?\n', text)
    assert re.search(rf'wechat_bank_alerts_open.state="pending". {len(alerts(app)) - 3}(\.0)?\n', text)
    everything = app.test_cli_runner().invoke(args=["alerts", "status", "--all"]).output
    assert re.search(r"delivered\s+2", everything)
    recent = app.test_cli_runner().invoke(args=["alerts", "status"]).output
    assert re.search(r"delivered\s+1", recent)


def test_status_command_and_staff_retry(app, accounts):
    with app.app_context():
        ids = [a.id for a in db.session.query(Alert).limit(2)]
        db.session.query(Alert).filter(Alert.id.in_(ids)).update(
            {"state": "undeliverable", "final_reason": "not_bound", "finished_at": utcnow()},
            synchronize_session=False)
        db.session.commit()
    output = app.test_cli_runner().invoke(args=["alerts", "status"]).output
    assert re.search(r"undeliverable\s+2", output)
    with app.app_context():
        assert retry_undeliverable(ids + [10**9]) == 2
    assert [a.state for a in alerts(app) if a.id in ids] == ["pending", "pending"]


@pytest.mark.parametrize("keyword", ["提醒", "动账提醒"])
def test_asking_about_alerts_in_chat_links_to_the_settings(app, client, pusher, keyword):
    response, reply = push(client, pusher, text_message(ALICE, keyword, next_msg_id()))
    assert response.status_code == 200
    content = reply_field(reply, "Content")
    assert "动账提醒" in content and f'href="{app.config["PUBLIC_BASE_URL"]}/h5/alerts"' in content
