"""Guessing through the binding: identity checks per card and per WeChat user, codes per phone (however often
the binding restarts), wrong codes per phone across bindings; and the pages' answers (429, Chinese)."""
# ruff: noqa: F811  (the fixtures are imported from the feature's main test module)

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.core_banking import current as core_current
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding import service as bindings
from {{ cookiecutter.bank_slug }}.features.binding.service import (
    BindingThrottled,
    CodeWrong,
    IdentityMismatch,
    ResendTooSoon,
    TooManyAttempts,
)
from {{ cookiecutter.bank_slug }}.h5.errors import status_of
from {{ cookiecutter.bank_slug }}.shared.cards import with_check_digit
from {{ cookiecutter.bank_slug }}.sms import OUTBOX
from {{ cookiecutter.bank_slug }}.web.attempts import Attempt

from ...binding_support import LI, ZHANG, age_attempts, give_consent
from .test_binding_rules import ALICE, BOB, app, last_code, start  # noqa: F401  (app: the fixture)


def wrong_code(right: str) -> str:
    return "000000" if right != "000000" else "111111"


@pytest.fixture
def core_calls(monkeypatch):
    """How often the core was asked to verify an identity."""
    calls = []
    real = core_current.get_core

    def counting():
        core = real()
        original = core.verify_identity

        def verify(*args, **kwargs):
            calls.append(args[0])
            return original(*args, **kwargs)

        core.verify_identity = verify
        return core

    monkeypatch.setattr(bindings, "get_core", counting)
    return calls


def test_guesses_at_someone_elses_card_stop_after_five_a_day(app, core_calls):
    for guess in range(5):  # Bob knows Li's card number, guesses the name
        with pytest.raises(IdentityMismatch):
            start(BOB, ZHANG, card=LI.cards[0], name=f"李{guess}")
    asked = len(core_calls)
    for _ in range(35):  # the other 35 guesses of the report never reach the core
        with pytest.raises(BindingThrottled) as refused:
            start(BOB, LI, name="李某")
    assert len(core_calls) == asked
    assert "24 小时后再试" in refused.value.message and "网点" in refused.value.message
    assert status_of(refused.value) == 429
    with pytest.raises(BindingThrottled):  # the card is throttled for everyone, even with the right details
        start(ALICE, LI)
    assert OUTBOX.messages() == []
    stored = " ".join(row.key for row in db.session.scalars(select(Attempt)))
    assert LI.cards[0] not in stored and BOB not in stored  # keyed hashes only
    age_attempts(hours=24, seconds=1)
    assert start(ALICE, LI).status == "pending"


def test_one_wechat_user_guessing_many_cards_stops_after_ten(app):
    cards = [with_check_digit(f"62284899{n:010d}") for n in range(11)]
    for card in cards[:10]:
        with pytest.raises(IdentityMismatch):
            start(BOB, ZHANG, card=card)
    with pytest.raises(BindingThrottled):
        start(BOB, ZHANG, card=cards[10])
    with pytest.raises(BindingThrottled):
        start(BOB, ZHANG)  # Bob's own card too: the limit is on the WeChat user
    assert start(ALICE, ZHANG).status == "pending"  # nobody else is affected


def test_restarting_the_binding_does_not_send_more_codes(app):
    start()
    for _ in range(19):  # 20 restarts within a minute: one SMS
        with pytest.raises(ResendTooSoon) as refused:
            start()
        assert "秒后" in refused.value.message and status_of(refused.value) == 429
    assert len(OUTBOX.messages(ZHANG.phone)) == 1
    for _ in range(4):  # a minute apart: 5 codes a day to one phone
        age_attempts(seconds=61)
        start()
    age_attempts(seconds=61)
    with pytest.raises(BindingThrottled) as refused:
        start()
    assert "验证码次数" in refused.value.message
    with pytest.raises(BindingThrottled):
        start(BOB, ZHANG, card=ZHANG.cards[1])  # another WeChat user, the same phone
    assert len(OUTBOX.messages(ZHANG.phone)) == 5


def test_wrong_codes_count_for_the_phone_across_restarts(app):
    tried = 0
    for _restart in range(2):  # each binding allows 5 tries; the phone 10 a day
        challenge = start()
        wrong = wrong_code(last_code(ZHANG.phone))
        for _ in range(4):
            with pytest.raises(CodeWrong):
                bindings.confirm_binding(ALICE, challenge.id, wrong)
            tried += 1
        age_attempts(seconds=61)
    challenge = start()
    right = last_code(ZHANG.phone)
    for _ in range(2):
        with pytest.raises(CodeWrong):
            bindings.confirm_binding(ALICE, challenge.id, wrong_code(right))
        tried += 1
    assert tried == 10
    with pytest.raises(TooManyAttempts):  # the 11th try, even the right code, is refused
        bindings.confirm_binding(ALICE, challenge.id, right)
    age_attempts(seconds=61)
    with pytest.raises(BindingThrottled):  # and no new code goes to the phone today
        start()
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.scope == bindings.CODE_BY_PHONE)) == 10


def test_a_successful_binding_lets_the_next_card_have_a_code_at_once(app):
    challenge = start(card=ZHANG.cards[0])
    bindings.confirm_binding(ALICE, challenge.id, last_code(ZHANG.phone))
    assert start(card=ZHANG.cards[1]).status == "pending"  # no 60 s wait after a used code


def test_the_limits_come_from_the_settings(make_app):
    from ...binding_support import seed_demo

    app = make_app(BIND_IDENTITY_FAILURES_PER_CARD="2", WECHAT_SANDBOX_API_URL="http://127.0.0.1:1")
    seed_demo(app)
    give_consent(app, BOB)
    with app.app_context():
        for _ in range(2):
            with pytest.raises(IdentityMismatch):
                start(BOB, ZHANG, card=LI.cards[0])
        with pytest.raises(BindingThrottled):
            start(BOB, ZHANG, card=LI.cards[0])


def test_the_page_says_so_in_chinese_with_a_429(app):
    import re
    import time

    from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER

    browser = app.test_client()
    with browser.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": BOB, "at": int(time.time())}
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', browser.get("/h5/bind").get_data(as_text=True))[1]
    form = {"csrf_token": token, "card_number": LI.cards[0], "holder_name": "李某", "id_number": ZHANG.id_number,
            "phone": ZHANG.phone}
    statuses = [browser.post("/h5/bind", data=form).status_code for _ in range(5)]
    assert statuses == [400] * 5  # the generic identity refusal
    throttled = browser.post("/h5/bind", data=form)
    page = throttled.get_data(as_text=True)
    assert throttled.status_code == 429 and "今日绑卡信息核对失败次数过多" in page and "24 小时后再试" in page
    assert LI.cards[0] not in page and ZHANG.id_number not in page
