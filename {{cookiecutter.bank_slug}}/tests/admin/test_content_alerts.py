"""Alerts in the admin panel: a read-only list filtered by state, openids masked, scoped to the accounts bound
at the operator's branch; undeliverable alerts can be retried (audited), nothing else changes."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import (
    DELIVERED,
    PENDING,
    REASON_NOT_FOLLOWING,
    UNDELIVERABLE,
    Alert,
)
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from .conftest import csrf_of, logged_in

LIST = "/admin/alerts/"
OPENID = "oAlertCustomer00000000000001"


def add_alert(app, account_id: str, txn: str, state: str, reason: str | None = None) -> int:
    with app.app_context():
        alert = Alert(source="ledger", source_txn_id=txn, account_id=account_id, kind="transfer_out",
                      amount_fen=-12_345, balance_after_fen=500_000, occurred_at=utcnow() - timedelta(minutes=5),
                      counterparty="赵*", memo="房租", state=state, attempts=3, openid=OPENID,
                      final_reason=reason, last_error="43004 require subscribe" if reason else None)
        db.session.add(alert)
        db.session.commit()
        return alert.id


def alert_state(app, alert_id: int) -> str:
    with app.app_context():
        return db.session.get(Alert, alert_id).state


@pytest.fixture
def alerts(panel):
    east, west = panel.east_branch, panel.west_branch
    return {
        "east_failed": add_alert(panel.app, f"A{east.code}", "J1:1", UNDELIVERABLE, REASON_NOT_FOLLOWING),
        "east_ok": add_alert(panel.app, f"A{east.code}", "J2:1", DELIVERED),
        "west_failed": add_alert(panel.app, f"A{west.code}", "J3:1", UNDELIVERABLE, REASON_NOT_FOLLOWING),
    }


def test_the_list_is_masked_labelled_and_filtered_by_state(panel, alerts):
    client = logged_in(panel.app, panel.head)
    page = client.get(LIST).get_data(as_text=True)
    assert OPENID not in page and "oAle****0001" in page
    assert "无法送达" in page and "已送达" in page and "-123.45" in page
    assert "客户已取消关注" in page  # the reason, in words
    filtered = client.get(LIST, query_string={"flt0_0": UNDELIVERABLE}).get_data(as_text=True)
    rows = filtered.split("</thead>", 1)[1]
    assert "无法送达" in rows and "已送达" not in rows
    details = client.get(f"{LIST}details/?id={alerts['east_failed']}").get_data(as_text=True)
    assert "房租" in details and OPENID not in details


def test_branch_operators_see_only_their_branchs_alerts(panel, alerts):
    east = logged_in(panel.app, panel.east)
    listing = east.get(LIST).get_data(as_text=True)
    assert "J1:1" not in listing  # not a column; the ids are
    assert f'value="{alerts["east_failed"]}"' in listing and f'value="{alerts["west_failed"]}"' not in listing
    assert east.get(f"{LIST}details/?id={alerts['east_failed']}").status_code == 200
    assert east.get(f"{LIST}details/?id={alerts['west_failed']}").status_code == 404
    head = logged_in(panel.app, panel.head).get(LIST).get_data(as_text=True)
    assert f'value="{alerts["west_failed"]}"' in head


def test_retry_puts_undeliverable_alerts_back_in_the_queue_and_is_audited(panel, alerts):
    client = logged_in(panel.app, panel.head)
    response = client.post(f"{LIST}action/", data={"csrf_token": csrf_of(client, LIST), "action": "retry",
                                                   "rowid": [alerts["east_failed"], alerts["east_ok"]]},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "已重新投递 1 条提醒" in body and "1 条不是「无法送达」状态" in body
    assert alert_state(panel.app, alerts["east_failed"]) == PENDING
    assert alert_state(panel.app, alerts["east_ok"]) == DELIVERED
    with panel.app.app_context():
        [row] = db.session.execute(select(AuditLog).where(AuditLog.action == "retry")).scalars()
        assert row.target_type == "alert" and row.target_id == str(alerts["east_failed"])
        assert json.loads(row.before)["state"] == UNDELIVERABLE and json.loads(row.after)["state"] == PENDING


def test_a_branch_operator_cannot_retry_another_branchs_alert(panel, alerts):
    east = logged_in(panel.app, panel.east)
    east.post(f"{LIST}action/", data={"csrf_token": csrf_of(east, LIST), "action": "retry",
                                      "rowid": [alerts["west_failed"], "x", "99999999999"]})
    assert alert_state(panel.app, alerts["west_failed"]) == UNDELIVERABLE
    east.post(f"{LIST}action/", data={"csrf_token": csrf_of(east, LIST), "action": "retry",
                                      "rowid": [alerts["east_failed"]]})
    assert alert_state(panel.app, alerts["east_failed"]) == PENDING


def test_alerts_are_read_only_and_actions_need_csrf(panel, alerts):
    client = logged_in(panel.app, panel.head)
    for path in (f"{LIST}new/", f"{LIST}edit/?id={alerts['east_ok']}"):
        assert client.get(path).status_code == 403, path
    token = csrf_of(client, LIST)
    assert client.post(f"{LIST}delete/", data={"csrf_token": token, "id": alerts["east_ok"]}).status_code == 403
    refused = client.post(f"{LIST}action/", data={"action": "retry", "rowid": [alerts["east_failed"]]})
    assert refused.status_code == 400
    assert alert_state(panel.app, alerts["east_failed"]) == UNDELIVERABLE


@pytest.mark.parametrize("term", ["'; DROP TABLE alert; --", "%", "_", "A8801", "１２", "x" * 500, "\\"])
def test_odd_searches_never_break_the_list(panel, alerts, term):
    response = logged_in(panel.app, panel.east).get(LIST, query_string={"search": term})
    assert response.status_code == 200


def test_the_list_shows_wechats_delivery_report(panel, alerts):
    with panel.app.app_context():
        alert = db.session.get(Alert, alerts["east_ok"])
        alert.msgid, alert.delivery_status, alert.delivery_reported_at = "1000001", "failed:user block", utcnow()
        db.session.commit()
    page = logged_in(panel.app, panel.head).get(LIST).get_data(as_text=True)
    assert "送达结果" in page and "用户拒收" in page
    details = logged_in(panel.app, panel.head).get(f"{LIST}details/?id={alerts['east_ok']}").get_data(as_text=True)
    assert "用户拒收" in details and "1000001" in details
