"""POST /api/core/v1/transactions: signed batches from the core; a whole-request problem is refused
whole (4xx, nothing stored), otherwise each item gets its own result."""

import json
import time

import pytest

from {{ cookiecutter.bank_slug }}.features.alerts.models import SOURCE_CORE

from ...ledger_helpers import seed
from .support import PUSH_PATH, alerts, bind, item, push, signed_headers


@pytest.fixture
def accounts(app):
    return seed(app)


def core_alerts(app):
    return alerts(app, source=SOURCE_CORE)


def test_a_batch_is_stored_and_each_item_answered(app, client, accounts):
    batch = {"transactions": [item("T1", accounts[0].account_id), item("T2", accounts[1].account_id, 500,
                                                                          kind="salary")]}
    response = push(client, app, batch)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["stored"], body["duplicate"], body["refused"]) == (2, 0, 0)
    assert [r["status"] for r in body["results"]] == ["stored", "stored"]
    stored = {a.source_txn_id: a for a in core_alerts(app)}
    assert stored["T1"].amount_fen == -12_345 and stored["T1"].kind == "purchase"
    assert stored["T1"].occurred_at.isoformat() == "2026-11-23T01:30:00"  # +08:00 stored as UTC
    assert stored["T1"].counterparty == "青***"  # masked before it is stored
    assert stored["T2"].kind == "salary"


def test_pushing_the_same_batch_again_stores_nothing_new(app, client, accounts):
    batch = {"transactions": [item("T1", accounts[0].account_id)]}
    assert push(client, app, batch).get_json()["stored"] == 1
    again = push(client, app, batch).get_json()
    assert (again["stored"], again["duplicate"]) == (0, 1)
    assert len(core_alerts(app)) == 1


def test_same_id_with_other_content_is_refused_not_overwritten(app, client, accounts):
    push(client, app, {"transactions": [item("T1", accounts[0].account_id, -100)]})
    body = push(client, app, {"transactions": [item("T1", accounts[0].account_id, -999)]}).get_json()
    assert body["results"][0]["status"] == "refused"
    assert "different content" in body["results"][0]["reason"]
    assert [a.amount_fen for a in core_alerts(app)] == [-100]


def test_duplicates_inside_one_batch(app, client, accounts):
    same = item("T9", accounts[0].account_id)
    other = item("T9", accounts[0].account_id, -1)
    body = push(client, app, {"transactions": [same, same, other]}).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "duplicate", "refused"]
    assert len(core_alerts(app)) == 1


def test_bad_items_are_refused_with_a_reason_and_the_good_ones_stored(app, client, accounts):
    account = accounts[0].account_id
    batch = [
        item("OK1", account),
        item("BAD-ACCOUNT", "A9999999"),
        item("BAD-AMOUNT", account, 12.5),
        item("ZERO", account, 0),
        item("BAD-KIND", account, kind="lottery"),
        item("NO-OFFSET", account, occurred_at="2026-11-23T09:30:00"),
        item("FUTURE", account, occurred_at="2099-01-01T00:00:00Z"),
        item("NEG-BALANCE", account, balance_after_fen=-1),
        {"transaction_id": "MISSING"},
        "not an object",
        item("X" * 65, account),
        item("BOOL", account, True),
    ]
    body = push(client, app, {"transactions": batch}).get_json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    assert results[0]["status"] == "stored"
    assert all(r["status"] == "refused" and r["reason"] for r in results[1:])
    reasons = [r.get("reason", "") for r in results]
    assert "unknown account_id" in reasons[1]
    assert "whole number" in reasons[2] and "must not be 0" in reasons[3] and "kind must be" in reasons[4]
    assert "UTC offset" in reasons[5] and "future" in reasons[6] and "negative" in reasons[7]
    assert "missing field" in reasons[8] and "JSON object" in reasons[9] and "transaction_id" in reasons[10]
    assert "whole number" in reasons[11]
    assert [a.source_txn_id for a in core_alerts(app)] == ["OK1"]


def test_an_account_known_only_by_its_binding_is_accepted(app, client, accounts):
    bind(app, "oBoundOnly0000000000000000001", "CORE-ACCT-77")  # the HTTP core's account ids, not the ledger's
    body = push(client, app, {"transactions": [item("T1", "CORE-ACCT-77")]}).get_json()
    assert body["stored"] == 1


@pytest.mark.parametrize("tamper", ["no_headers", "wrong_secret", "stale", "future", "garbage_timestamp",
                                    "body_changed"])
def test_unsigned_or_badly_signed_requests_are_refused_whole(app, client, accounts, tamper):
    body = json.dumps({"transactions": [item("T1", accounts[0].account_id)]}).encode()
    headers = signed_headers(app, body)
    if tamper == "no_headers":
        headers = {"Content-Type": "application/json"}
    elif tamper == "wrong_secret":
        headers = signed_headers(app, body, secret="another-secret-of-the-same-length-0000")
    elif tamper == "stale":
        headers = signed_headers(app, body, timestamp=int(time.time()) - 3600)
    elif tamper == "future":
        headers = signed_headers(app, body, timestamp=int(time.time()) + 3600)
    elif tamper == "garbage_timestamp":
        headers["X-Core-Timestamp"] = "yesterday"
    elif tamper == "body_changed":
        body = body.replace(b"-12345", b"-99999")
    response = client.post(PUSH_PATH, data=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized" and response.get_json()["message"]
    assert core_alerts(app) == []


@pytest.mark.parametrize("payload,status,words", [
    (b"{not json", 400, "JSON"),
    (b"[]", 400, "transactions"),
    (b'{"transactions": []}', 400, "non-empty"),
    (b'{"transactions": {"a": 1}}', 400, "array"),
    (b"\xff\xfe", 400, "JSON"),
])
def test_malformed_bodies_get_400_with_a_reason(app, client, accounts, payload, status, words):
    response = push(client, app, payload)
    assert response.status_code == status
    assert words in response.get_json()["message"]


def test_more_than_1000_items_are_refused_whole(app, client, accounts):
    batch = [item(f"T{n}", accounts[0].account_id) for n in range(1001)]
    response = push(client, app, {"transactions": batch})
    assert response.status_code == 413 and "1000" in response.get_json()["message"]
    assert core_alerts(app) == []


def test_a_10_mb_body_is_refused_before_it_is_read(app, client, accounts):
    body = b'{"transactions": [' + b" " * (10 * 1024 * 1024) + b"]}"
    response = client.post(PUSH_PATH, data=body, headers=signed_headers(app, body))
    assert response.status_code == 413
    assert "larger than" in response.get_json()["message"]


def test_1000_items_in_one_batch_are_stored(app, client, accounts):
    batch = [item(f"B{n:04d}", accounts[n % 3].account_id, -(n + 1)) for n in range(1000)]
    body = push(client, app, {"transactions": batch}).get_json()
    assert body["stored"] == 1000
    assert len(core_alerts(app)) == 1000


def test_without_a_core_secret_ingestion_is_disabled(make_app):
    app = make_app(CORE_API_SECRET="")
    response = app.test_client().post(PUSH_PATH, data=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 503 and "CORE_API_SECRET" in response.get_json()["message"]


def test_the_push_api_needs_no_csrf_token_but_a_signature(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    seed(app)
    with app.app_context():
        from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount
        from {{ cookiecutter.bank_slug }}.extensions import db

        account_id = db.session.query(LedgerAccount.account_id).filter(LedgerAccount.kind == "customer").first()[0]
    response = push(app.test_client(), app, {"transactions": [item("C1", account_id)]})
    assert response.status_code == 200 and response.get_json()["stored"] == 1
