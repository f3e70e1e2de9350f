"""The reference server on its own (Flask test client): it refuses unsigned, stale and tampered
requests with 401 and a reason, answers bad input with 400 invalid_request (never a 500), and
every answer it gives has the shape the OpenAPI document promises."""

import json
import time

import pytest

from {{ cookiecutter.bank_slug }}.core_banking.http.server import create_core_server
from {{ cookiecutter.bank_slug }}.core_banking.http.wire import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    SPEC_PATH,
    TIMESTAMP_HEADER,
    signed_headers,
)
from {{ cookiecutter.bank_slug }}.core_banking.port import InsufficientFunds

from .fake_core import (
    CARD,
    ID_NUMBER,
    PAYEE_CARD,
    PHONE,
    FakeCore,
)
from .openapi import (
    response_schema,
    schema_errors,
)

SECRET = "reference-secret-for-tests"


@pytest.fixture
def fake():
    return FakeCore()


@pytest.fixture
def client(fake):
    return create_core_server(fake, SECRET).test_client()


def call(client, method: str, path: str, body=None, headers=None, *, secret=SECRET, now=None, raw: bytes | None = None):
    data = raw if raw is not None else (b"" if body is None else json.dumps(body, ensure_ascii=False).encode())
    signed = signed_headers(secret, method, path, data, time.time() if now is None else now)
    return client.open(path, method=method, data=data, headers={**signed, **(headers or {})},
                       content_type="application/json")


def transfer_body(key="k-1", **changes):
    return {"idempotency_key": key, "from_account_id": "A0001", "to_account_number": PAYEE_CARD, "to_name": "李四",
            "amount_fen": 500, **changes}


def post_transfer(client, body, key="k-1"):
    return call(client, "POST", "/transfers", body, headers={IDEMPOTENCY_HEADER: key})


# --- signatures --------------------------------------------------------------------------------

def test_unsigned_requests_are_refused_with_the_reason(client, fake):
    response = client.get("/accounts/A0001/balance")
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized" and TIMESTAMP_HEADER in response.json["message"]
    assert fake.calls == []


@pytest.mark.parametrize(("headers", "reason"), [
    ({TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: "00"}, "Unix seconds"),
    ({TIMESTAMP_HEADER: "now", SIGNATURE_HEADER: "00" * 32}, "does not match"),
])
def test_malformed_signature_headers(client, headers, reason):
    if headers[TIMESTAMP_HEADER] == "now":  # taken when the test runs, not when the suite was collected
        headers = {**headers, TIMESTAMP_HEADER: str(int(time.time()))}
    response = client.get("/accounts/A0001", headers=headers)
    assert response.status_code == 401 and reason in response.json["message"]


def test_stale_and_future_timestamps_are_refused(client):
    for skew in (-301, 301):
        response = call(client, "GET", "/accounts/A0001", now=time.time() + skew)
        assert response.status_code == 401 and "away from the server's clock" in response.json["message"]
    assert call(client, "GET", "/accounts/A0001", now=time.time() - 250).status_code == 200


def test_the_body_and_the_query_are_signed(client, fake):
    headers = signed_headers(SECRET, "POST", "/accounts/lookup", b'{"card_number": "1"}', time.time())
    response = client.post("/accounts/lookup", data=json.dumps({"card_number": CARD}), headers=headers)
    assert response.status_code == 401
    headers = signed_headers(SECRET, "GET", "/accounts/A0001/transactions?limit=1", b"", time.time())
    response = client.get("/accounts/A0001/transactions?limit=100", headers=headers)
    assert response.status_code == 401
    assert fake.calls == []
    assert call(client, "GET", "/accounts/A0001/transactions?limit=1").status_code == 200


def test_a_wrong_secret_is_refused(client):
    assert call(client, "GET", "/accounts/A0001", secret="guess").status_code == 401


def test_the_document_itself_is_public(client):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200 and response.data == SPEC_PATH.read_bytes()


# --- bad input ---------------------------------------------------------------------------------

BAD_REQUESTS = {
    "not JSON": ("POST", "/accounts/lookup", b"card_number=1", None),
    "not an object": ("POST", "/accounts/lookup", b'["1"]', None),
    "not UTF-8": ("POST", "/accounts/lookup", b'{"card_number": "\xff"}', None),
    "missing card": ("POST", "/accounts/lookup", b"{}", None),
    "card as number": ("POST", "/accounts/lookup", json.dumps({"card_number": int(CARD)}).encode(), None),
    "identity without phone": ("POST", "/accounts/A0001/verify-identity",
                               json.dumps({"name": "张三", "id_number": ID_NUMBER}).encode(), None),
    "pin as number": ("POST", "/accounts/A0001/verify-pin", b'{"pin": 123456}', None),
    "limit zero": ("GET", "/accounts/A0001/transactions?limit=0", b"", None),
    "limit too big": ("GET", "/accounts/A0001/transactions?limit=101", b"", None),
    "limit not a number": ("GET", "/accounts/A0001/transactions?limit=ten", b"", None),
    "no idempotency key": ("POST", "/transfers", json.dumps(transfer_body()).encode(), None),
    "keys differ": ("POST", "/transfers", json.dumps(transfer_body()).encode(), "k-2"),
    "key with a space": ("POST", "/transfers", json.dumps(transfer_body(key="a b")).encode(), "a b"),
    "amount as string": ("POST", "/transfers", json.dumps(transfer_body(amount_fen="500")).encode(), "k-1"),
    "amount as boolean": ("POST", "/transfers", json.dumps(transfer_body(amount_fen=True)).encode(), "k-1"),
    "amount as decimal": ("POST", "/transfers", json.dumps(transfer_body(amount_fen=5.0)).encode(), "k-1"),
    "no payee name": ("POST", "/transfers", json.dumps({**transfer_body(), "to_name": None}).encode(), "k-1"),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_input_is_400_invalid_request_never_a_500(client, fake, case):
    method, path, raw, key = BAD_REQUESTS[case]
    response = call(client, method, path, raw=raw, headers={IDEMPOTENCY_HEADER: key} if key else None)
    assert response.status_code == 400, response.json
    assert response.json["code"] == "invalid_request" and response.json["message"]
    assert CARD not in response.json["message"]
    assert fake.calls == []


def test_too_large_unknown_paths_and_wrong_methods_are_json_errors(client):
    response = call(client, "POST", "/accounts/lookup", raw=b'{"card_number": "' + b"1" * 70_000 + b'"}')
    assert response.status_code == 413 and response.json["code"]
    response = call(client, "GET", "/accounts/A0001/statement")
    assert (response.status_code, response.json["code"]) == (404, "not_found")  # not account_not_found
    assert call(client, "DELETE", "/accounts/A0001").status_code == 405


def test_a_crash_of_the_core_is_a_500_without_details(client, fake):
    fake.fail_with = RuntimeError(f"card {CARD} broke the core")
    response = call(client, "GET", "/accounts/A0001")
    assert response.status_code == 500
    assert response.json == {"code": "internal_error", "message": "internal error"}


# --- every answer as the document says ---------------------------------------------------------

def _conforms(response, method: str, path: str) -> None:
    assert schema_errors(response_schema(method, path, response.status_code), response.json) == []


def test_every_answer_matches_the_document(client, fake):
    identity = {"name": "张三", "id_number": ID_NUMBER, "phone": PHONE}
    exchanges = [
        (("POST", "/accounts/lookup", {"card_number": CARD}), 200),
        (("POST", "/accounts/lookup", {"card_number": "0000"}), 404),
        (("POST", "/accounts/lookup", {}), 400),
        (("GET", "/accounts/{account_id}", None, "A0001"), 200),
        (("GET", "/accounts/{account_id}", None, "A9999"), 404),
        (("POST", "/accounts/{account_id}/verify-identity", identity, "A0001"), 200),
        (("POST", "/accounts/{account_id}/verify-pin", {"pin": "000000"}, "A0001"), 200),
        (("POST", "/accounts/{account_id}/verify-pin", {"pin": "000000"}, "A9999"), 404),
        (("GET", "/accounts/{account_id}/balance", None, "A0001"), 200),
        (("GET", "/accounts/{account_id}/transactions", None, "A0001"), 200),
        (("GET", "/accounts/{account_id}/transactions", None, "A9999"), 404),
    ]
    for (method, template, body, *account), status in exchanges:
        path = template.replace("{account_id}", account[0]) if account else template
        response = call(client, method, path, body)
        assert response.status_code == status, (method, path)
        _conforms(response, method, template)

    first = post_transfer(client, transfer_body())
    again = post_transfer(client, transfer_body())
    conflict = post_transfer(client, transfer_body(amount_fen=501))
    unknown_payee = post_transfer(client, transfer_body(key="k-2", to_account_number="1"), key="k-2")
    fake.fail_with = InsufficientFunds()
    poor = post_transfer(client, transfer_body(key="k-3"), key="k-3")
    fake.fail_with = None
    bad = post_transfer(client, {**transfer_body(), "amount_fen": "x"})
    statuses = [r.status_code for r in (first, again, conflict, unknown_payee, poor, bad)]
    assert statuses == [201, 200, 409, 404, 422, 400]
    assert (first.json["replayed"], again.json["replayed"]) == (False, True)
    for response in (first, again, conflict, unknown_payee, poor, bad):
        _conforms(response, "POST", "/transfers")
    assert call(client, "GET", "/accounts/A0001/balance").json["available_fen"] == 1_000_000 - 500
