"""The reference core server fuzzed as a bank's core team would: signed requests with arbitrary path
segments, query parameters and JSON bodies get the contract's answers (2xx, or 4xx with `code` and
`message`), never a 500; and request paths never reach a log line unescaped."""

import json
import logging
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.bank_slug }}.core_banking.http.server import create_core_server
from {{ cookiecutter.bank_slug }}.core_banking.http.wire import IDEMPOTENCY_HEADER, signed_headers

from .fake_core import FakeCore

SECRET = "reference-secret-for-fuzzing"
JSON = st.recursive(st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
                    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children,
                                                                                     max_size=4), max_leaves=10)
FIELDS = st.sampled_from(["card_number", "name", "id_number", "phone", "pin", "idempotency_key", "from_account_id",
                          "to_account_number", "to_name", "amount_fen", "memo", "to_bank"])
BODIES = st.dictionaries(FIELDS, JSON, max_size=7) | JSON
SEGMENT = st.text(min_size=1, max_size=40) | st.sampled_from(["A0001", "A0002", "..", "%00", "A" * 300])
ROUTES = [("POST", "/accounts/lookup"), ("GET", "/accounts/{id}"), ("POST", "/accounts/{id}/verify-identity"),
          ("POST", "/accounts/{id}/verify-pin"), ("GET", "/accounts/{id}/balance"),
          ("GET", "/accounts/{id}/transactions"), ("POST", "/transfers")]


@pytest.fixture(scope="module")
def client():
    return create_core_server(FakeCore(), SECRET).test_client()


def signed(client, method, path, body: bytes, headers=None):
    sent = signed_headers(SECRET, method, path, body, time.time())
    return client.open(path, method=method, data=body, headers={**sent, **(headers or {})},
                       content_type="application/json")


@given(route=st.sampled_from(ROUTES), segment=SEGMENT, body=BODIES,
       query=st.dictionaries(st.sampled_from(["limit", "x", "cursor"]), st.text(max_size=25), max_size=2),
       key=st.text(max_size=140))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzzed_signed_requests_never_get_a_500(client, route, segment, body, query, key):
    method, template = route
    path = template.replace("{id}", quote(segment, safe=""))
    if query:
        path += "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
    raw = json.dumps(body, ensure_ascii=False, allow_nan=True).encode() if method == "POST" else b""
    headers = {IDEMPOTENCY_HEADER: key} if key and key.isascii() and key.isprintable() else None
    response = signed(client, method, path, raw, headers)
    assert response.status_code < 500, (path, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert {"code", "message"} <= set(response.get_json())


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b'{"card_number": "\\ud800"}',
                                 b'{"card_number": ' + b"9" * 5000 + b"}", b"NaN", b""])
def test_malformed_bodies_are_a_400(client, raw):
    response = signed(client, "POST", "/accounts/lookup", raw)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["code"] == "invalid_request"


def test_request_paths_are_escaped_in_log_lines(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/accounts/A1%0A2026-12-03%20ERROR%20forged/balance")  # unsigned: refused and logged
    assert caplog.records
    for record in caplog.records:
        assert "\n" not in record.getMessage()
