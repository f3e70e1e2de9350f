"""The HTTP adapter against the reference server (over real loopback HTTP) wrapped around a small
in-memory core, and against a rogue server that breaks the contract: signing, error mapping,
timeouts and retries, and that no card number or URL secret leaks into exceptions or logs."""

import json
import logging
import threading
import time
import traceback
from dataclasses import replace

import pytest
from flask import Flask, request

from {{ cookiecutter.bank_slug }}.core_banking.http.client import HttpCoreBanking
from {{ cookiecutter.bank_slug }}.core_banking.http.server import create_core_server
from {{ cookiecutter.bank_slug }}.core_banking.port import (
    ERRORS_BY_CODE,
    Account,
    AccountNotFound,
    Balance,
    CoreBanking,
    CoreBankingError,
    CoreUnavailable,
    PayeeNotFound,
    TransferRequest,
)

from ...helpers import free_port
from .fake_core import (
    AS_OF,
    CARD,
    ID_NUMBER,
    PAYEE_CARD,
    PHONE,
    FakeCore,
)
from .loopback import serving

SECRET = "reference-secret-for-tests"
URL_PASSWORD = "url-password-never-shown"
PIN = "975310"
REFUSALS = {**ERRORS_BY_CODE, CoreBankingError.code: CoreBankingError}


class Recorder:
    """WSGI middleware: what reached the server (method, path, Idempotency-Key)."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str | None]] = []

    def __call__(self, environ, start_response):
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("HTTP_IDEMPOTENCY_KEY")))
        return self.app(environ, start_response)


@pytest.fixture
def fake():
    core = FakeCore()
    yield core
    if core.hold is not None:
        core.hold.set()  # let a held server thread finish


@pytest.fixture
def recorder(fake):
    return Recorder(create_core_server(fake, SECRET))


@pytest.fixture
def base_url(recorder):
    with serving(recorder) as url:
        yield url


def make_adapter(base_url: str, secret: str = SECRET, **kwargs) -> HttpCoreBanking:
    return HttpCoreBanking(base_url, secret, **kwargs)


@pytest.fixture
def adapter(base_url):
    core = make_adapter(base_url)
    yield core
    core.close()


def transfer_request(key: str = "key-0001", **changes) -> TransferRequest:
    fields = {"idempotency_key": key, "from_account_id": "A0001", "to_account_number": PAYEE_CARD, "to_name": "李四",
              "amount_fen": 12_345, "memo": "房租"}
    return TransferRequest(**{**fields, **changes})


# --- every operation ---------------------------------------------------------------------------

def test_implements_the_port(adapter):
    assert isinstance(adapter, CoreBanking)


def test_every_operation_round_trips(adapter, fake):
    assert adapter.find_account_by_card(CARD) == fake.accounts["A0001"]
    assert adapter.find_account_by_card("6217000010000000000") is None
    assert adapter.get_account("A0002") == Account("A0002", PAYEE_CARD, "李四", "001", "active", "CNY")
    assert adapter.verify_identity("A0001", "张三", ID_NUMBER, PHONE) is True
    assert adapter.verify_identity("A0001", "张三", ID_NUMBER, "13900000000") is False
    assert adapter.verify_pin("A0001", "123456") is True
    assert adapter.verify_pin("A0001", "654321") is False
    assert adapter.balance("A0001") == Balance("A0001", 1_000_000, 1_000_000, AS_OF)  # microseconds kept
    assert adapter.recent_transactions("A0001", limit=2) == fake.recent_transactions("A0001", limit=2)
    assert adapter.recent_transactions("A0001", limit=0) == []


def test_transfer_posts_once_per_key(adapter, fake):
    first = adapter.transfer(transfer_request())
    again = adapter.transfer(transfer_request())
    assert (first.status, first.amount_fen, first.from_balance_after_fen, first.replayed) == (
        "posted", 12_345, 1_000_000 - 12_345, False)
    assert again == replace(first, replayed=True)
    assert fake.balances["A0001"] == 1_000_000 - 12_345
    with pytest.raises(ERRORS_BY_CODE["idempotency_conflict"]):
        adapter.transfer(transfer_request(amount_fen=1))


def test_unknown_accounts(adapter, fake):
    with pytest.raises(AccountNotFound):
        adapter.get_account("A9999")
    with pytest.raises(AccountNotFound):
        adapter.balance("A9999")
    assert adapter.verify_pin("A9999", "123456") is False  # 404 from the core: no match, as the ledger says
    assert adapter.verify_identity("A9999", "张三", ID_NUMBER, PHONE) is False
    calls = len(fake.calls)
    with pytest.raises(AccountNotFound):
        adapter.balance("../A0001")  # cannot be an account id of the contract: never sent
    assert adapter.verify_pin("A 1", "123456") is False
    assert len(fake.calls) == calls


def test_bad_idempotency_key_is_refused_before_sending(adapter, fake):
    with pytest.raises(CoreBankingError) as caught:
        adapter.transfer(transfer_request(key="含中文的键"))
    assert type(caught.value) is CoreBankingError
    assert fake.calls == []


# --- signatures --------------------------------------------------------------------------------

def test_wrong_secret_is_refused_and_logged_as_an_error(base_url, fake, caplog):
    caplog.set_level(logging.ERROR, logger="{{ cookiecutter.bank_slug }}.core_banking.http.client")
    with pytest.raises(CoreUnavailable):
        make_adapter(base_url, secret="not-the-shared-secret").balance("A0001")
    assert fake.calls == []
    assert "HTTP 401 unauthorized" in caplog.text and "signature does not match" in caplog.text


def test_stale_timestamp_is_refused(base_url, fake, caplog):
    caplog.set_level(logging.ERROR, logger="{{ cookiecutter.bank_slug }}.core_banking.http.client")
    with pytest.raises(CoreUnavailable):
        make_adapter(base_url, clock=lambda: time.time() - 3600).get_account("A0001")
    assert fake.calls == []
    assert "away from the server's clock" in caplog.text


def test_a_clock_inside_the_window_is_accepted(base_url):
    assert make_adapter(base_url, clock=lambda: time.time() - 200).get_account("A0001").account_id == "A0001"


# --- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_error_code_becomes_its_exception(adapter, fake, code):
    error_class = REFUSALS[code]
    fake.fail_with = error_class()
    for call in (lambda: adapter.balance("A0001"), lambda: adapter.transfer(transfer_request())):
        with pytest.raises(error_class) as caught:
            call()
        assert type(caught.value) is error_class
        assert caught.value.code == code and caught.value.message == error_class.message


def test_the_cores_message_reaches_the_customer_masked(adapter, fake):
    fake.fail_with = PayeeNotFound(f"收款账户 {PAYEE_CARD} 不存在")
    with pytest.raises(PayeeNotFound) as caught:
        adapter.transfer(transfer_request())
    assert PAYEE_CARD not in str(caught.value) and PAYEE_CARD not in caught.value.message
    assert caught.value.message.startswith("收款账户 6217 **** **** 5432")


def test_a_request_the_core_finds_invalid_is_a_client_error_not_an_outage(adapter, fake, caplog):
    from {{ cookiecutter.bank_slug }}.core_banking.port import CoreRejectedRequest
    from {{ cookiecutter.bank_slug }}.h5.errors import DEFAULT_STATUS, STATUS_BY_CODE

    caplog.set_level(logging.ERROR, logger="{{ cookiecutter.bank_slug }}.core_banking.http.client")
    fake.fail_with = CoreRejectedRequest("account_id must be 1-64 letters")
    with pytest.raises(CoreRejectedRequest) as caught:
        adapter.balance("A0001")
    assert not isinstance(caught.value, CoreUnavailable)
    assert STATUS_BY_CODE.get(caught.value.code, DEFAULT_STATUS) == 400  # the customer's page: 400, not 503
    assert "refused the request as invalid" in caplog.text


def test_a_crash_of_the_core_is_core_unavailable(adapter, fake):
    fake.fail_with = RuntimeError("database on fire")
    with pytest.raises(CoreUnavailable) as caught:
        adapter.get_account("A0001")
    assert caught.value.message == CoreUnavailable.message


class SlowCore(FakeCore):
    """Balance and PIN checks wait until released: answers that come too late."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.arrivals: list[str] = []

    def balance(self, account_id):
        self.arrivals.append("balance")
        self.release.wait(timeout=30)
        return super().balance(account_id)

    def verify_pin(self, account_id, pin):
        self.arrivals.append("verify_pin")
        self.release.wait(timeout=30)
        return super().verify_pin(account_id, pin)


def test_timeouts_are_core_unavailable_reads_retried_once_pin_checks_not(caplog):
    slow = SlowCore()
    try:
        with serving(create_core_server(slow, SECRET)) as url:
            adapter = make_adapter(url, timeout=0.3)
            with pytest.raises(CoreUnavailable):
                adapter.balance("A0001")
            with pytest.raises(CoreUnavailable):
                adapter.verify_pin("A0001", "123456")
            slow.release.set()
    finally:
        slow.release.set()
    assert slow.arrivals.count("balance") == 2
    assert slow.arrivals.count("verify_pin") == 1
    assert "ReadTimeout, retrying once" in caplog.text


def test_retry_after_a_timeout_reuses_the_key_and_posts_once(fake, recorder, base_url):
    fake.hold = threading.Event()  # the first attempt posts, then answers too late
    result = make_adapter(base_url, timeout=1).transfer(transfer_request(key="retry-key-1"))
    fake.hold.set()
    assert result.replayed is True and result.amount_fen == 12_345
    assert len(fake.transfers) == 1 and fake.balances["A0001"] == 1_000_000 - 12_345
    assert recorder.seen == [("POST", "/transfers", "retry-key-1")] * 2


def test_nobody_listening_is_core_unavailable_after_one_retry(caplog):
    adapter = make_adapter(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(CoreUnavailable):
        adapter.transfer(transfer_request())
    assert "core transfer: ConnectionError, retrying once" in caplog.text
    assert "core transfer failed: ConnectionError" in caplog.text


# --- a server that breaks the contract ---------------------------------------------------------

class Rogue:
    """Answers every request with whatever the test sets."""

    def __init__(self) -> None:
        self.answer: tuple = ("{}", 200, {"Content-Type": "application/json"})
        self.app = Flask("rogue")
        self.app.add_url_rule("/<path:path>", "any", lambda path: self.answer, methods=["GET", "POST"])
        self.bodies: list[bytes] = []
        self.app.before_request(lambda: self.bodies.append(request.get_data()) and None)


@pytest.fixture
def rogue():
    server = Rogue()
    with serving(server.app) as url:
        server.url = url
        yield server


JSON = {"Content-Type": "application/json"}
GOOD_BALANCE = '{"account_id": "A0001", "available_fen": 1, "ledger_fen": 1, "as_of": "2024-05-01T08:30:00Z"}'

MALFORMED = {
    "not JSON": ("<html>ok</html>", 200, {"Content-Type": "text/html"}),
    "a list": ("[]", 200, JSON),
    "missing field": ('{"account_id": "A0001", "available_fen": 1, "as_of": "2024-05-01T08:30:00Z"}', 200, JSON),
    "fen as decimal": (GOOD_BALANCE.replace('"available_fen": 1', '"available_fen": 1.5'), 200, JSON),
    "fen as string": (GOOD_BALANCE.replace('"available_fen": 1', '"available_fen": "1"'), 200, JSON),
    "fen as boolean": (GOOD_BALANCE.replace('"available_fen": 1', '"available_fen": true'), 200, JSON),
    "time without offset": (GOOD_BALANCE.replace("08:30:00Z", "08:30:00"), 200, JSON),
    "date only": (GOOD_BALANCE.replace("T08:30:00Z", ""), 200, JSON),
    "proxy 404 page": ("<h1>Not Found</h1>", 404, {"Content-Type": "text/html"}),
    "unknown code": ('{"code": "teapot", "message": "short and stout"}', 418, JSON),
    "bad gateway": ("<h1>502</h1>", 502, {"Content-Type": "text/html"}),
    "500 with a port code": ('{"code": "account_not_found", "message": "x"}', 500, JSON),
    "redirect": ("", 302, {"Location": "http://127.0.0.1:9/elsewhere"}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_answers_outside_the_contract_are_core_unavailable(rogue, case):
    rogue.answer = MALFORMED[case]
    adapter = make_adapter(rogue.url)
    with pytest.raises(CoreUnavailable):
        adapter.balance("A0001")
    with pytest.raises(CoreUnavailable):  # a proxy's 404 is not "no such card"
        adapter.find_account_by_card(CARD)


def test_the_rogue_baseline_is_accepted(rogue):
    rogue.answer = (GOOD_BALANCE.replace("08:30:00Z", "16:30:00+08:00"), 200, JSON)
    assert make_adapter(rogue.url).balance("A0001").as_of.isoformat() == "2024-05-01T08:30:00"


@pytest.mark.parametrize("answer", ['{"verified": "yes"}', '{"verified": 1}', "{}"])
def test_verification_must_be_a_boolean(rogue, answer):
    rogue.answer = (answer, 200, JSON)
    with pytest.raises(CoreUnavailable):
        make_adapter(rogue.url).verify_pin("A0001", "123456")


@pytest.mark.parametrize("answer", ['{"transactions": {}}', "{}", '{"transactions": [{"transaction_id": "T1"}]}'])
def test_transactions_must_be_a_list_of_transactions(rogue, answer):
    rogue.answer = (answer, 200, JSON)
    with pytest.raises(CoreUnavailable):
        make_adapter(rogue.url).recent_transactions("A0001")


def test_card_numbers_travel_only_in_bodies(recorder, adapter):
    adapter.find_account_by_card(CARD)
    adapter.transfer(transfer_request())
    assert recorder.seen and all(CARD not in path and PAYEE_CARD not in path for _, path, _ in recorder.seen)


# --- nothing personal or secret leaks ----------------------------------------------------------

def error_answer(status: int, code: str, message: str) -> tuple:
    return json.dumps({"code": code, "message": message}, ensure_ascii=False), status, JSON


def test_no_card_pin_id_or_url_secret_in_any_exception_or_log(rogue, caplog):
    caplog.set_level(logging.DEBUG)
    leaky = f"收款账户 {PAYEE_CARD} 不存在，卡 {CARD}"
    dead = f"http://core:{URL_PASSWORD}@127.0.0.1:{free_port()}"
    with_password = rogue.url.replace("http://", f"http://core:{URL_PASSWORD}@")

    def lookup(adapter):
        return adapter.find_account_by_card(CARD)

    def transfer(adapter):
        return adapter.transfer(transfer_request())

    def pin(adapter):
        return adapter.verify_pin("A0001", PIN)

    def identity(adapter):
        return adapter.verify_identity("A0001", "张三", ID_NUMBER, PHONE)

    scenarios = [
        (dead, None, lookup),
        (dead, None, transfer),
        (with_password, error_answer(404, "payee_not_found", leaky), transfer),
        (with_password, error_answer(422, "core_error", leaky), lookup),
        (with_password, error_answer(418, "teapot", leaky), lookup),
        (with_password, error_answer(503, "core_unavailable", leaky), lookup),
        (with_password, (f"<pre>{leaky}</pre>", 500, {"Content-Type": "text/html"}), lookup),
        (with_password, (json.dumps({"account_id": "A1", "card_number": int(CARD)}), 200, JSON), lookup),
        (with_password, ("<h1>502</h1>", 502, {"Content-Type": "text/html"}), pin),
        (with_password, error_answer(418, "teapot", f"{ID_NUMBER} {PHONE}"), identity),
    ]
    texts = []
    for base, answer, call in scenarios:
        if answer:
            rogue.answer = answer
        adapter = make_adapter(base, timeout=2)
        texts.append(repr(adapter))
        with pytest.raises(CoreBankingError) as caught:
            call(adapter)
        texts += [str(caught.value), repr(caught.value), caught.value.message,
                  "".join(traceback.format_exception(caught.value))]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert not any(secret in text for secret in (CARD, PAYEE_CARD, URL_PASSWORD, PIN, ID_NUMBER, PHONE)), text
    assert rogue.bodies and any(CARD.encode() in body for body in rogue.bodies)  # it was in the body


def test_configuration_errors_name_the_variable_not_the_value():
    with pytest.raises(ValueError, match="CORE_BANKING_URL"):
        HttpCoreBanking("ftp://core", SECRET)
    with pytest.raises(ValueError, match="CORE_API_SECRET"):
        HttpCoreBanking("https://core.bank.internal", "")
    assert SECRET not in repr(HttpCoreBanking("https://core.bank.internal", SECRET))


def test_ping_is_one_signed_call_and_a_failing_core_is_unavailable(adapter, fake):
    adapter.ping()
    assert fake.calls == ["ping"]
    fake.fail_with = CoreUnavailable()
    with pytest.raises(CoreUnavailable):
        adapter.ping()
    assert fake.calls == ["ping", "ping"]  # not retried


def test_ping_with_the_wrong_secret_is_unavailable(base_url):
    with pytest.raises(CoreUnavailable):
        make_adapter(base_url, secret="another-secret-0123456789").ping()


def test_held_transfers_carry_the_arrival_and_settle_over_http(adapter, fake):
    held = adapter.transfer(transfer_request("key-held-1", arrival="normal"))
    assert held.status == "held" and fake.transfers["key-held-1"][0].arrival == "normal"
    review = adapter.transfer(transfer_request("key-held-2", hold_for_review=True))
    assert review.status == "held" and fake.transfers["key-held-2"][0].hold_for_review is True
    assert adapter.release_transfer("key-held-1").status == "posted"
    assert adapter.release_transfer("key-held-1").replayed
    with pytest.raises(ERRORS_BY_CODE["transfer_already_released"]):
        adapter.revoke_transfer("key-held-1")
    assert adapter.revoke_transfer("key-held-2").status == "revoked"
    with pytest.raises(ERRORS_BY_CODE["transfer_already_revoked"]):
        adapter.release_transfer("key-held-2")
    with pytest.raises(ERRORS_BY_CODE["transfer_not_held"]):
        adapter.revoke_transfer("key-never-made")
    assert fake.calls.count("release_transfer") == 3 and fake.calls.count("revoke_transfer") == 3
