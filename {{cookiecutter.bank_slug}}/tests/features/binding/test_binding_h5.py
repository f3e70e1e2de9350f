"""The binding pages end to end: the service and the mock WeChat server on loopback, the customer identified
through the mock's OAuth2, the SMS code read from the mock's "sms" record; and every refusal on the page."""

import re
import time

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import BindingChallenge, CardBinding
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card
from {{ cookiecutter.bank_slug }}.sms import OUTBOX

from ...binding_support import LI, ZHANG, age_attempts, code_in, give_consent, seed_demo
from ...h5.test_h5_oauth import authorize, callback_path, log_in
from ...helpers import mock_control_client, next_msg_id, push, reply_field
from ...live_sandbox import live_sandbox

pytestmark = pytest.mark.smoke

ALICE = "oAlice0000000000000000000001"
BOB = "oBob00000000000000000000002X"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def sandbox(make_app):
    app = make_app(BANK_SHORT_NAME="测试银行", SERVICE_HOTLINE="96000")
    seed_demo(app)
    OUTBOX.clear()
    with live_sandbox(app) as live:
        for openid, nickname in ((ALICE, "爱丽丝"), (BOB, "鲍勃")):
            live.state.add_user(openid, nickname)
        give_consent(app, ALICE, BOB)  # the separate consent (features/privacy), tested there
        yield live


@pytest.fixture
def wechat(sandbox):
    return mock_control_client(sandbox.mock)


@pytest.fixture
def alice(sandbox, wechat):
    browser = sandbox.service.test_client()
    assert log_in(browser, wechat, ALICE, "/h5/bind").headers["Location"] == "/h5/bind"
    return browser


@pytest.fixture
def bob(sandbox, wechat):
    browser = sandbox.service.test_client()
    log_in(browser, wechat, BOB)
    return browser


def csrf_token(browser, path: str) -> str:
    page = browser.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return CSRF_INPUT.search(page.get_data(as_text=True)).group(1)


def details(customer=ZHANG, card: str | None = None, **overrides) -> dict:
    return {"card_number": card or customer.cards[0], "holder_name": customer.name,
            "id_number": customer.id_number, "phone": customer.phone, **overrides}


def submit(browser, data: dict, token: str | None = None):
    token = token or csrf_token(browser, "/h5/bind")
    return browser.post("/h5/bind", data={"csrf_token": token, **data})


def sms_records(sandbox) -> list[dict]:
    return [record.to_json() for record in sandbox.state.records_since(0, "sms")]


def last_code(sandbox) -> str:
    return code_in(sms_records(sandbox)[-1]["payload"]["text"])


def enter_code(browser, code: str):
    return browser.post("/h5/bind/verify", data={"csrf_token": csrf_token(browser, "/h5/bind/verify"), "code": code})


def bind(browser, sandbox, customer=ZHANG, card: str | None = None) -> int:
    assert submit(browser, details(customer, card)).headers["Location"] == "/h5/bind/verify"
    done = enter_code(browser, last_code(sandbox))
    assert done.status_code == 302, done.get_data(as_text=True)
    return int(re.search(r"bound=(\d+)", done.headers["Location"]).group(1))


def count(sandbox, model) -> int:
    with sandbox.service.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def assert_no_clear_pii(page: str, customer=ZHANG) -> None:
    for value in (*customer.cards, customer.id_number, customer.phone):
        assert value not in page


def test_bind_through_oauth_and_sms_then_ask_the_balance(sandbox, alice):
    form = alice.get("/h5/bind").get_data(as_text=True)
    assert "绑定银行卡" in form and "获取短信验证码" in form

    sent = submit(alice, details())
    assert sent.status_code == 302 and sent.headers["Location"] == "/h5/bind/verify"
    records = sms_records(sandbox)
    assert len(records) == 1 and records[0]["payload"]["phone"] == "138****8001"
    assert "尾号" + ZHANG.cards[0][-4:] in records[0]["payload"]["text"] and "13800138001" not in str(records)
    assert OUTBOX.messages() == []  # the mock took it

    page = alice.get("/h5/bind/verify").get_data(as_text=True)
    assert "138****8001" in page and mask_card(ZHANG.cards[0]) in page
    assert_no_clear_pii(page)

    done = enter_code(alice, last_code(sandbox))
    assert done.status_code == 302 and done.headers["Location"].startswith("/h5/cards?bound=")
    cards = alice.get(done.headers["Location"]).get_data(as_text=True)
    assert "绑定成功" in cards and mask_card(ZHANG.cards[0]) in cards
    assert_no_clear_pii(cards)

    hall = alice.get("/h5/").get_data(as_text=True)
    bind_tile = re.search(r'data-service="bind".*?</a>', hall, re.S).group()
    assert "即将开通" not in bind_tile and "我的银行卡" in hall

    service = sandbox.service
    _, reply = push(service.test_client(), WeChatPusher.from_config(service.config),
                    text_message(ALICE, "余额", next_msg_id()))
    content = reply_field(reply, "Content")
    assert mask_card(ZHANG.cards[0]) in content and "可用余额 ¥50,000.00" in content
    assert ZHANG.cards[0] not in content


def test_a_second_card_for_the_same_customer(sandbox, alice):
    bind(alice, sandbox, card=ZHANG.cards[0])
    form = alice.get("/h5/bind").get_data(as_text=True)
    assert "您已绑定 1 张银行卡" in form
    bind(alice, sandbox, card=ZHANG.cards[1])
    page = alice.get("/h5/cards").get_data(as_text=True)
    assert page.count('data-testid="bound-card"') == 2


def test_luhn_failure_is_refused_on_the_page(sandbox, alice):
    card = ZHANG.cards[0]
    broken = card[:-1] + str((int(card[-1]) + 1) % 10)
    response = submit(alice, details(card=broken))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "银行卡号有误（校验位不符）" in page
    assert broken not in page and ZHANG.id_number not in page
    assert sms_records(sandbox) == [] and count(sandbox, BindingChallenge) == 0


@pytest.mark.parametrize("overrides", [{"holder_name": "张卫"}, {"id_number": LI.id_number}, {"phone": LI.phone}])
def test_wrong_name_id_or_phone_get_the_same_generic_message(sandbox, alice, overrides):
    response = submit(alice, details(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "您输入的卡号、姓名、身份证号或手机号与本行开户信息不符" in page
    assert_no_clear_pii(page)
    assert_no_clear_pii(page, LI)
    assert sms_records(sandbox) == [] and count(sandbox, BindingChallenge) == 0


def test_missing_csrf_token_is_a_chinese_400(sandbox, alice):
    response = alice.post("/h5/bind", data=details())
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "安全校验未通过" in page
    assert sms_records(sandbox) == [] and count(sandbox, BindingChallenge) == 0


def test_wrong_then_expired_code(sandbox, alice):
    submit(alice, details())
    right = last_code(sandbox)
    wrong = "000000" if right != "000000" else "111111"
    response = enter_code(alice, wrong)
    assert response.status_code == 400 and "验证码不正确，还可以再试 4 次" in response.get_data(as_text=True)
    response = enter_code(alice, "12ab")
    assert response.status_code == 400 and "验证码为 6 位数字" in response.get_data(as_text=True)

    with sandbox.service.app_context():
        challenge = db.session.scalars(select(BindingChallenge)).one()
        challenge.expires_at = challenge.sent_at  # the five minutes are over
        db.session.commit()
    response = enter_code(alice, right)
    assert response.status_code == 400 and "验证码已过期，请重新获取" in response.get_data(as_text=True)
    assert count(sandbox, CardBinding) == 0


def test_resend_too_soon_then_allowed(sandbox, alice):
    submit(alice, details())
    token = csrf_token(alice, "/h5/bind/verify")
    response = alice.post("/h5/bind/resend", data={"csrf_token": token})
    assert response.status_code == 429 and "秒后再重新获取" in response.get_data(as_text=True)
    with sandbox.service.app_context():
        challenge = db.session.scalars(select(BindingChallenge)).one()
        challenge.sent_at = challenge.sent_at.replace(year=challenge.sent_at.year - 1)
        db.session.commit()
        age_attempts(seconds=61)
    response = alice.post("/h5/bind/resend", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/h5/bind/verify?resent=1"
    assert len(sms_records(sandbox)) == 2
    assert enter_code(alice, last_code(sandbox)).status_code == 302


def test_verify_without_a_pending_binding_is_a_404_page(alice):
    response = alice.get("/h5/bind/verify")
    assert response.status_code == 404 and "重新填写绑卡信息" in response.get_data(as_text=True)


def test_a_card_bound_to_another_wechat_user_is_refused(sandbox, alice, bob):
    bind(alice, sandbox)
    response = submit(bob, details())
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "已绑定在其他微信号上" in page
    assert len(sms_records(sandbox)) == 1  # Alice's code only


def test_unbind_with_confirmation(sandbox, alice):
    binding_id = bind(alice, sandbox)
    confirm = alice.get(f"/h5/cards/unbind?binding_id={binding_id}")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "确认解除绑定" in page and mask_card(ZHANG.cards[0]) in page
    token = CSRF_INPUT.search(page).group(1)
    done = alice.post("/h5/cards/unbind", data={"csrf_token": token, "binding_id": str(binding_id)})
    assert done.status_code == 302 and done.headers["Location"] == "/h5/cards?unbound=1"
    cards = alice.get(done.headers["Location"]).get_data(as_text=True)
    assert "已解除绑定" in cards and 'data-testid="no-cards"' in cards
    with sandbox.service.app_context():
        assert db.session.get(CardBinding, binding_id).status == "unbound"


def test_another_customers_binding_id_is_a_404_and_changes_nothing(sandbox, alice, bob):
    alice_binding = bind(alice, sandbox)
    assert bob.get(f"/h5/cards/unbind?binding_id={alice_binding}").status_code == 404
    token = csrf_token(bob, "/h5/bind")  # a valid token of his own session
    for forged in (str(alice_binding), "0", "-1", "abc", ""):
        response = bob.post("/h5/cards/unbind", data={"csrf_token": token, "binding_id": forged})
        assert response.status_code == 404 and "未找到该绑定银行卡" in response.get_data(as_text=True)
    assert bob.post("/h5/cards/unbind", data={"binding_id": str(alice_binding)}).status_code == 400  # no token
    with sandbox.service.app_context():
        binding = db.session.get(CardBinding, alice_binding)
        assert binding.status == "active" and binding.openid == ALICE
    assert mask_card(ZHANG.cards[0]) not in bob.get("/h5/cards").get_data(as_text=True)


def test_an_expired_oauth_code_on_the_way_to_the_binding_page(sandbox, wechat):
    browser = sandbox.service.test_client()
    start = browser.get("/h5/bind")
    assert start.status_code == 302
    callback = authorize(wechat, start.headers["Location"], ALICE)
    issued = time.time()
    sandbox.state.clock = lambda: issued + sandbox.state.settings.oauth_code_ttl_seconds + 1
    response = browser.get(callback_path(callback))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "已过期" in page and 'href="/h5/bind"' in page
    assert browser.get("/h5/bind").status_code == 302  # still nobody


def test_pages_need_the_customer(sandbox):
    browser = sandbox.service.test_client()
    for path in ("/h5/bind", "/h5/bind/verify", "/h5/cards", "/h5/cards/unbind?binding_id=1"):
        response = browser.get(path)
        assert response.status_code == 302 and "/connect/oauth2/authorize" in response.headers["Location"]


def test_mock_sms_endpoint_checks_its_input(wechat):
    assert wechat.post("/_mock/sms", json={"phone": "123", "text": "x"}).status_code == 400
    assert wechat.post("/_mock/sms", json={"phone": "13800138001", "text": ""}).status_code == 400
    assert wechat.post("/_mock/sms", data="not json").status_code == 415
    created = wechat.post("/_mock/sms", json={"phone": "13800138001", "text": "您好"})
    assert created.status_code == 201 and created.get_json()["record"]["payload"] == {
        "phone": "138****8001", "text": "您好"}
    listed = wechat.get("/_mock/records?kind=sms").get_json()["records"]
    assert [r["kind"] for r in listed] == ["sms"]
