"""The core push API under hostile input: no 500, the documented per-item semantics kept (a bad item is
refused alone, the good ones stored), and concurrent pushes of one id with different content refused."""

import json
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.bank_slug }}.features.alerts.models import SOURCE_CORE

from ...ledger_helpers import seed
from .support import PUSH_PATH, alerts, item, push, signed_headers


@pytest.fixture
def accounts(app):
    return seed(app)


@pytest.mark.parametrize("stamp", ["²", "１７００", "+{t}", " {t}", "{t}.0", "-{t}", "9" * 40])
def test_odd_timestamps_are_a_401_with_the_reason(app, client, stamp):
    body = b'{"transactions": []}'
    headers = signed_headers(app, body)
    headers["X-Core-Timestamp"] = stamp.format(t=int(time.time()))
    response = client.post(PUSH_PATH, data=body, headers=headers)
    assert response.status_code == 401
    assert "Unix time" in response.get_json()["message"]


BAD_ITEMS = {
    "year 1": {"occurred_at": "0001-01-01T00:00:00+08:00"},
    "year 9999": {"occurred_at": "9999-12-31T23:59:59-08:00"},
    "lone surrogate": {"memo": "\ud800"},
    "lone surrogate name": {"counterparty_name": "\udfff x"},
    "huge amount": {"amount_fen": 10**40},
    "5000-digit amount": {"amount_fen": int("9" * 4000)},
}


@pytest.mark.parametrize("changes", BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_one_bad_item_is_refused_alone_and_the_good_ones_stored(app, client, accounts, changes):
    good = [item(f"G{i}", accounts[0].account_id) for i in range(999)]
    bad = item("BAD", accounts[0].account_id, **changes)
    raw = json.dumps({"transactions": [*good[:500], bad, *good[500:]]}, ensure_ascii=True).encode()
    response = push(client, app, raw)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert (body["stored"], body["refused"]) == (999, 1)
    assert body["results"][500]["status"] == "refused" and body["results"][500]["transaction_id"] == "BAD"
    assert len(alerts(app, source=SOURCE_CORE)) == 999


def test_an_item_nested_5000_deep_is_refused_alone(app, client, accounts):
    good = [json.dumps(item(f"G{i}", accounts[0].account_id)) for i in range(999)]
    deep = '{"transaction_id": "DEEP", "memo": ' + "[" * 5000 + "]" * 5000 + "}"
    raw = ('{"transactions": [' + ", ".join([*good[:10], deep, *good[10:]]) + "]}").encode()
    response = push(client, app, raw)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert (body["stored"], body["refused"]) == (999, 1)
    assert "nested too deeply" in body["results"][10]["reason"]


def test_a_whole_body_nested_too_deeply_is_a_400(app, client):
    response = push(client, app, ("[" * 5000 + "]" * 5000).encode())
    assert response.status_code == 400


@pytest.mark.postgres
def test_concurrent_pushes_of_one_id_with_different_amounts_store_one_and_refuse_the_rest(make_app, postgres_url):
    app = make_app(DATABASE_URL=postgres_url)
    accounts = seed(app)
    transaction_id = f"RACE-{time.time_ns()}"
    results, barrier = [], threading.Barrier(12)

    def one(amount):
        client = app.test_client()
        barrier.wait()
        body = push(client, app, {"transactions": [item(transaction_id, accounts[0].account_id, -amount)]})
        results.append(body.get_json()["results"][0]["status"])

    threads = [threading.Thread(target=one, args=(100 + n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused"] * 11 + ["stored"]
    assert len([a for a in alerts(app, source=SOURCE_CORE) if a.source_txn_id == transaction_id]) == 1


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                           lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                                            children, max_size=3),
                           max_leaves=8)


@given(st.lists(st.dictionaries(st.sampled_from(["transaction_id", "account_id", "amount_fen", "balance_after_fen",
                                                 "occurred_at", "kind", "counterparty_name", "memo", "x"]),
                                JSON_VALUES, max_size=8) | JSON_VALUES, min_size=1, max_size=5))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzzed_items_never_get_a_5xx_and_every_item_gets_a_result(app, client, items):
    response = push(client, app, json.dumps({"transactions": items}).encode())
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert len(body["results"]) == len(items)
    assert {r["status"] for r in body["results"]} <= {"stored", "duplicate", "refused"}
