"""Card binding rules (banking/bindings.py), the identity validators and the SMS port, on seeded demo customers."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding import service as bindings
from {{ cookiecutter.bank_slug }}.features.binding.forms import BindForm
from {{ cookiecutter.bank_slug }}.features.binding.models import BindingChallenge, CardBinding
from {{ cookiecutter.bank_slug }}.features.binding.service import (
    CardAlreadyBound,
    CardBoundElsewhere,
    ChallengeNotFound,
    CodeExpired,
    CodeWrong,
    IdentityMismatch,
    ResendTooSoon,
    SmsNotSent,
    TooManyAttempts,
    TooManySends,
    active_bindings,
    binding_for,
)
from {{ cookiecutter.bank_slug }}.h5.errors import status_of
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message
from {{ cookiecutter.bank_slug }}.settings import ConfigError
from {{ cookiecutter.bank_slug }}.shared.identity import (
    id_number_valid,
    mobile_valid,
    normalise_id_number,
    normalise_mobile,
)
from {{ cookiecutter.bank_slug }}.sms import OUTBOX, SandboxSmsSender, SmsError, get_sms_sender

from ...binding_support import LI, ZHANG, age_attempts, code_in, give_consent, seed_demo
from ...conftest import make_config
from ...helpers import free_port, push

ALICE = "oAlice0000000000000000000001"
BOB = "oBob00000000000000000000002X"
LOGGER = "{{ cookiecutter.bank_slug }}.features.binding.service"


@pytest.fixture
def app(make_app):
    """Seeded demo data; the mock WeChat server is not running, so every SMS lands in the outbox."""
    app = make_app(WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}", SERVICE_HOTLINE="96000")
    seed_demo(app)
    give_consent(app, ALICE, BOB)  # the separate consent (features/privacy) comes before any binding
    OUTBOX.clear()
    with app.app_context():
        yield app
    OUTBOX.clear()


def start(openid=ALICE, customer=ZHANG, card=None, **overrides):
    values = {"card_number": card or customer.cards[0], "name": customer.name, "id_number": customer.id_number,
              "phone": customer.phone, **overrides}
    return bindings.start_binding(openid, **values)


def last_code(phone: str) -> str:
    return code_in(OUTBOX.last(phone).text)


def bind(openid=ALICE, customer=ZHANG, card=None) -> CardBinding:
    challenge = start(openid, customer, card)
    return bindings.confirm_binding(openid, challenge.id, last_code(customer.phone))


def move_back(challenge: BindingChallenge, **delta) -> None:
    """Pretend the code was sent `delta` ago (no sleeping)."""
    challenge.sent_at -= timedelta(**delta)
    challenge.expires_at -= timedelta(**delta)
    db.session.commit()
    age_attempts(**delta)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- validators ----------------------------------------------------------------------------------
def test_id_numbers_need_a_real_date_and_the_gb11643_check_character():
    assert id_number_valid(ZHANG.id_number)
    assert id_number_valid("11010519491231002X")
    assert not id_number_valid("110105194912310021")  # wrong check character
    assert not id_number_valid(ZHANG.id_number[:17])  # too short
    assert not id_number_valid("110105194902300023")  # 30 February
    assert not id_number_valid("01010519491231002X")  # region cannot start with 0
    assert normalise_id_number(" １１０１０５ 19491231002x ") == "11010519491231002X"


def test_mobile_numbers():
    assert mobile_valid("13800138001") and mobile_valid("19912345678")
    for bad in ("12800138001", "1380013800", "138001380011", "", "1380013800a"):
        assert not mobile_valid(bad)
    assert normalise_mobile("+86 138-0013-8001") == "13800138001"
    assert normalise_mobile("１３８００１３８００１") == "13800138001"


@pytest.mark.parametrize("field,value,message", [
    ("card_number", "6228480000000000011", "校验位不符"),  # Luhn fails
    ("card_number", "6228abc", "12 至 19 位数字"),
    ("id_number", "110105194912310021", "身份证号格式有误"),
    ("phone", "1380013800", "手机号格式有误"),
    ("holder_name", "", "请输入开户人姓名"),
])
def test_the_form_refuses_bad_input_in_chinese(app, field, value, message):
    data = {"card_number": ZHANG.cards[0], "holder_name": ZHANG.name, "id_number": ZHANG.id_number,
            "phone": ZHANG.phone, field: value}
    with app.test_request_context(method="POST", data=data):
        form = BindForm(meta={"csrf": False})
        assert not form.validate()
        assert any(message in error for error in form.errors[field])


def test_the_form_normalises_what_people_type(app):
    card = ZHANG.cards[0]
    spaced = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    data = {"card_number": spaced, "holder_name": f" {ZHANG.name} ", "id_number": ZHANG.id_number.lower(),
            "phone": "+86 " + ZHANG.phone}
    with app.test_request_context(method="POST", data=data):
        form = BindForm(meta={"csrf": False})
        assert form.validate(), form.errors
        assert (form.card_number.data, form.holder_name.data, form.phone.data) == (card, ZHANG.name, ZHANG.phone)


# -- the one-time code ----------------------------------------------------------------------------
def test_binding_sends_a_code_and_stores_only_its_hash(app, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    challenge = start()
    message = OUTBOX.last(ZHANG.phone)
    code = code_in(message.text)
    assert "尾号" + ZHANG.cards[0][-4:] in message.text and "5 分钟" in message.text
    row = db.session.get(BindingChallenge, challenge.id)
    assert code not in (row.code_hash, row.code_salt) and len(row.code_hash) == 64
    assert row.code_hash == bindings.code_digest(row.code_salt, code)
    assert row.card_mask == "6228 **** **** " + ZHANG.cards[0][-4:]
    assert "已发送验证码至 138****8001" in caplog.text
    assert code not in caplog.text and ZHANG.phone not in caplog.text and ZHANG.cards[0] not in caplog.text

    binding = bindings.confirm_binding(ALICE, challenge.id, code)
    assert binding.openid == ALICE and binding.status == "active" and not binding.alerts_suspended
    assert row.status == "verified" and row.phone == ""  # the phone is not kept once the challenge ends
    assert active_bindings(ALICE) == [binding]


def test_a_wrong_code_counts_and_the_fifth_cancels(app):
    challenge = start()
    right = last_code(ZHANG.phone)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeWrong) as refused:
            bindings.confirm_binding(ALICE, challenge.id, wrong)
        assert refused.value.attempts_left == left and f"还可以再试 {left} 次" in refused.value.message
    with pytest.raises(TooManyAttempts):
        bindings.confirm_binding(ALICE, challenge.id, wrong)
    with pytest.raises(ChallengeNotFound):  # even the right code is too late now
        bindings.confirm_binding(ALICE, challenge.id, right)
    assert active_bindings(ALICE) == []


def test_an_expired_code_is_refused_and_a_new_one_works(app):
    challenge = start()
    old = last_code(ZHANG.phone)
    move_back(challenge, minutes=5)
    with pytest.raises(CodeExpired):
        bindings.confirm_binding(ALICE, challenge.id, old)
    bindings.resend_code(ALICE, challenge.id)
    new = last_code(ZHANG.phone)
    assert len(OUTBOX.messages(ZHANG.phone)) == 2
    if new != old:
        with pytest.raises(CodeWrong):
            bindings.confirm_binding(ALICE, challenge.id, old)
    assert bindings.confirm_binding(ALICE, challenge.id, new).status == "active"


def test_resend_waits_60_seconds_and_is_limited(app):
    challenge = start()
    with pytest.raises(ResendTooSoon) as refused:
        bindings.resend_code(ALICE, challenge.id)
    assert 1 <= refused.value.seconds_left <= 60 and "秒后" in refused.value.message
    assert len(OUTBOX.messages()) == 1
    for _ in range(bindings.MAX_SENDS - 1):
        move_back(challenge, seconds=61)
        bindings.resend_code(ALICE, challenge.id)
    move_back(challenge, seconds=61)
    with pytest.raises(TooManySends):
        bindings.resend_code(ALICE, challenge.id)
    assert len(OUTBOX.messages()) == bindings.MAX_SENDS
    assert db.session.get(BindingChallenge, challenge.id).status == "failed"


def test_a_challenge_belongs_to_its_openid(app):
    challenge = start()
    with pytest.raises(ChallengeNotFound):
        bindings.confirm_binding(BOB, challenge.id, last_code(ZHANG.phone))
    with pytest.raises(ChallengeNotFound):
        bindings.resend_code(BOB, challenge.id)
    assert active_bindings(BOB) == [] and db.session.get(BindingChallenge, challenge.id).attempts == 0


def test_a_new_start_replaces_the_pending_challenge(app):
    first = start()
    first_code = last_code(ZHANG.phone)
    move_back(first, seconds=61)  # a new code to the same phone only after the interval
    second = start()
    with pytest.raises(ChallengeNotFound):
        bindings.confirm_binding(ALICE, first.id, first_code)
    assert bindings.confirm_binding(ALICE, second.id, last_code(ZHANG.phone)).status == "active"


# -- identity and ownership -----------------------------------------------------------------------
@pytest.mark.parametrize("overrides", [
    {"name": "张卫"},
    {"id_number": LI.id_number},
    {"phone": LI.phone},
    {"card_number": LI.cards[0]},  # somebody else's card
    {"card_number": "6228480000000099999"[:-1] + "7"},  # no such card
])
def test_identity_mismatch_is_one_generic_refusal_and_stores_nothing(app, overrides):
    with pytest.raises(IdentityMismatch) as refused:
        start(**overrides)
    assert refused.value.message == IdentityMismatch.message
    for word in ("姓名不", "身份证号不", "手机号不", "卡号不"):
        assert word not in refused.value.message
    assert count(BindingChallenge) == 0 and OUTBOX.messages() == []


def test_a_card_bound_elsewhere_is_refused(app):
    bind(ALICE)
    with pytest.raises(CardBoundElsewhere) as refused:
        start(BOB)
    assert "其他微信号" in refused.value.message and status_of(refused.value) == 409
    assert len(OUTBOX.messages()) == 1  # no code for Bob
    with pytest.raises(CardAlreadyBound):
        start(ALICE)


def test_a_card_bound_elsewhere_while_the_code_was_pending_is_refused(app):
    alice = start(ALICE)
    alice_code = last_code(ZHANG.phone)
    age_attempts(seconds=61)
    bind(BOB)  # the same card, through another WeChat account, in the meantime
    with pytest.raises(CardBoundElsewhere):
        bindings.confirm_binding(ALICE, alice.id, alice_code)
    assert [b.openid for b in db.session.scalars(select(CardBinding))] == [BOB]


def test_one_openid_binds_several_cards(app):
    first = bind(ALICE, card=ZHANG.cards[0])
    second = bind(ALICE, card=ZHANG.cards[1])
    assert [b.id for b in active_bindings(ALICE)] == [first.id, second.id]
    assert binding_for(ALICE, first.id) is first and binding_for(ALICE, str(second.id)) is second
    assert binding_for(BOB, first.id) is None and binding_for(ALICE, "x") is None and binding_for(ALICE, None) is None


def test_unbind_keeps_the_row_and_frees_the_card(app):
    binding = bind(ALICE)
    assert bindings.unbind(BOB, binding.id) is None  # not Bob's
    assert binding.status == "active"
    assert bindings.unbind(ALICE, binding.id) is binding
    assert binding.status == "unbound" and binding.unbound_at is not None
    assert active_bindings(ALICE) == [] and binding_for(ALICE, binding.id) is None
    assert bindings.unbind(ALICE, binding.id) is None  # twice: nothing more to do
    assert bind(BOB).openid == BOB  # the card may now be bound by another WeChat account
    assert count(CardBinding) == 2


def test_unsubscribe_suspends_alerts_and_subscribe_resumes_them(app):
    first, second = bind(ALICE, card=ZHANG.cards[0]), bind(ALICE, card=ZHANG.cards[1])
    bob = bind(BOB, customer=LI)
    client, pusher = app.test_client(), WeChatPusher.from_config(app.config)

    push(client, pusher, event_message(ALICE, "unsubscribe"))
    db.session.expire_all()
    assert first.alerts_suspended and second.alerts_suspended and not bob.alerts_suspended
    assert first.status == second.status == "active"  # still bound
    assert len(active_bindings(ALICE)) == 2

    push(client, pusher, event_message(ALICE, "subscribe"))
    db.session.expire_all()
    assert not first.alerts_suspended and not second.alerts_suspended


def test_nothing_is_stored_when_the_sms_fails(app, monkeypatch):
    def broken(phone, text):
        raise SmsError("provider down")

    monkeypatch.setattr(get_sms_sender(), "send", broken)
    with pytest.raises(SmsNotSent) as refused:
        start()
    assert status_of(refused.value) == 503 and "短信发送失败" in refused.value.message
    assert count(BindingChallenge) == 0


# -- the SMS port -----------------------------------------------------------------------------------
class RecordingSender:
    sent: list = []

    def __init__(self, config) -> None:
        self.config = config

    def send(self, phone: str, text: str) -> None:
        RecordingSender.sent.append((phone, text))


def test_sms_sender_plugs_in_by_dotted_path(make_app):
    app = make_app(SMS_SENDER=f"{__name__}:RecordingSender")
    with app.app_context():
        sender = get_sms_sender()
        assert isinstance(sender, RecordingSender) and get_sms_sender() is sender
        sender.send("13800138001", "hello")
    assert RecordingSender.sent[-1] == ("13800138001", "hello")


@pytest.mark.parametrize("value", ["smtp", "module.only", "a b:C", ":Factory"])
def test_sms_sender_setting_is_checked_at_start_up(value):
    from {{ cookiecutter.bank_slug }}.settings import load_config

    with pytest.raises(ConfigError, match="SMS_SENDER"):
        load_config(make_config("sqlite://", SMS_SENDER=value))


def test_production_without_a_real_sms_sender_does_not_start(make_app):
    with pytest.raises(ConfigError, match="SMS_SENDER=gateway") as refused:
        make_app(WECHAT_SANDBOX="0")
    assert "SMS_GATEWAY_URL" in str(refused.value) and "docs/sms.md" in str(refused.value)


def test_sandbox_sender_refuses_outside_sandbox_mode():
    with pytest.raises(SmsError):
        SandboxSmsSender({"WECHAT_SANDBOX": False}).send("13800138001", "x")
