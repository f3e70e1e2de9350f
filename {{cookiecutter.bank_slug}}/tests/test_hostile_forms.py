"""Hypothesis fuzz of the forms guarding money and access (docs/security.md): the admin login, the three
binding steps (details, code, resend) and the transfer confirm step. Whatever is typed: an answer below 500,
and nothing half-stored (no binding, no posted transfer)."""

import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding import service as bindings
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.transfers.models import POSTED, TransferOrder
from {{ cookiecutter.bank_slug }}.features.transfers.service import TransferInput, new_idempotency_key, place_order
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.settings import of as sections_of
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card

from .admin.conftest import CSRF
from .binding_support import LI, ZHANG, give_consent, seed_demo
from .helpers import free_port

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CSRF_INPUT = CSRF.pattern.replace('name="csrf_token" value=', 'name="csrf_token"[^>]*value=')
ALICE = "oAliceFuzz000000000000000001"

# Text a hostile user might send: anything, or something shaped like the field, with look-alikes.
hostile = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="0123456789０１２３４５６７８９ -\u200b\u3000xX", max_size=40),
    st.sampled_from(["", " ", "\x00", "' OR 1=1 --", "<script>alert(1)</script>", "%00", "../" * 20,
                     "9" * 5000, "\ufeff", "١٢٣٤٥٦", "𝟏𝟐𝟑𝟒𝟓𝟔"]),
)


def _csrf(client, path: str) -> str:
    import re

    page = client.get(path)
    match = re.search(CSRF_INPUT, page.get_data(as_text=True))
    assert match, (path, page.status_code)
    return match.group(1)


def _as_customer(client, openid: str = ALICE) -> None:
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}


@pytest.fixture
def bank(make_app):
    """Demo customers; every SMS lands in the sandbox outbox (no mock running)."""
    app = make_app(ADMIN_PANEL_ENABLED="1", WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}")
    seed_demo(app)
    give_consent(app, ALICE)
    return app


@FUZZ
@given(username=hostile, password=hostile, captcha=hostile)
@example(username="\x00", password="\x00", captcha="\x00")  # PostgreSQL refuses NUL in text
def test_the_admin_login_never_fails_with_a_5xx(bank, username, password, captcha):
    client = bank.test_client()
    token = _csrf(client, "/admin/login")
    response = client.post("/admin/login", data={"csrf_token": token, "username": username, "password": password,
                                                 "captcha": captcha, "next": username})
    assert response.status_code in (303, 400, 401), response.status_code
    assert response.status_code != 303  # no fuzzed text is a staff member's password


@FUZZ
@given(card=hostile, name=hostile, id_number=hostile, phone=hostile)
@example(card=ZHANG.cards[0], name="张\x00伟", id_number=ZHANG.id_number, phone=ZHANG.phone)  # reaches the core
@example(card=ZHANG.cards[0], name=ZHANG.name, id_number=ZHANG.id_number[:-1] + "\x00", phone=ZHANG.phone)
def test_the_binding_form_never_fails_with_a_5xx(bank, card, name, id_number, phone):
    client = bank.test_client()
    _as_customer(client)
    token = _csrf(client, "/h5/bind")
    response = client.post("/h5/bind", data={"csrf_token": token, "card_number": card, "holder_name": name,
                                             "id_number": id_number, "phone": phone})
    assert response.status_code in (302, 400, 409, 429), response.status_code
    with bank.app_context():
        assert db.session.scalar(select(func.count()).select_from(CardBinding)) == 0


@FUZZ
@given(code=hostile, resend=st.booleans(), challenge_id=st.one_of(st.none(), st.integers(), st.text(max_size=20)))
def test_the_code_and_resend_steps_never_fail_with_a_5xx(bank, code, resend, challenge_id):
    client = bank.test_client()
    _as_customer(client)
    with bank.test_request_context():
        try:
            challenge = bindings.start_binding(ALICE, ZHANG.cards[0], ZHANG.name, ZHANG.id_number, ZHANG.phone)
            pending = challenge.id
        except bindings.BindingError:  # the phone's limits of the day: the steps are fuzzed without one
            pending = None
    with client.session_transaction() as session:
        session["bind_challenge"] = pending if challenge_id is None else challenge_id
    verify = client.get("/h5/bind/verify")
    assert verify.status_code in (200, 404), verify.status_code
    token = _csrf(client, "/h5/bind")
    path = "/h5/bind/resend" if resend else "/h5/bind/verify"
    response = client.post(path, data={"csrf_token": token, "code": code})
    assert response.status_code in (200, 302, 400, 404, 409, 429, 503), response.status_code
    with bank.app_context():
        assert db.session.scalar(select(func.count()).select_from(CardBinding)) == 0  # a fuzzed code never binds


@pytest.fixture
def order_key(bank):
    """An order of Alice's awaiting its PIN (card 1 to Li's card)."""
    with bank.test_request_context():
        account = demo_data.card_number(1)
        from {{ cookiecutter.bank_slug }}.core_banking.current import get_core

        found = get_core().find_account_by_card(account)
        binding = CardBinding(openid=ALICE, account_id=found.account_id, card_mask=mask_card(account),
                              status="active", alerts_suspended=False)
        db.session.add(binding)
        db.session.commit()
        key = new_idempotency_key()
        place_order(ALICE, TransferInput(key, str(binding.id), LI.cards[0], LI.name, "", "1.00"),
                    sections_of().transfers)
    return key


@FUZZ
@given(pin=hostile, captcha=hostile, key=st.one_of(st.none(), hostile))
def test_the_transfer_confirm_step_never_fails_with_a_5xx(bank, order_key, pin, captcha, key):
    client = bank.test_client()
    _as_customer(client)
    token = _csrf(client, "/h5/transfer")
    target = order_key if key is None else key
    response = client.post(f"/h5/transfer/confirm/{target}".replace("?", "%3F").replace("#", "%23"),
                           data={"csrf_token": token, "pin": pin, "captcha": captcha})
    assert response.status_code in (303, 400, 404, 405, 308, 423, 429), response.status_code
    with bank.app_context():
        assert db.session.scalar(select(func.count()).select_from(TransferOrder)
                                 .where(TransferOrder.status == POSTED)) == 0  # a fuzzed PIN never posts
