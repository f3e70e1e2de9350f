"""我的信息 and 注销微信银行服务 (PIPL arts. 44-47): the customer sees and downloads what the service keeps; the
cancellation is refused while a transfer, complaint or request is open (nothing changes), erases everything but
what the audit and the law keep (and says which), and rolls back whole when it fails part-way."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import AlertPreference
from {{ cookiecutter.bank_slug }}.features.binding import service as bindings
from {{ cookiecutter.bank_slug }}.features.binding.models import BindingChallenge, CardBinding
from {{ cookiecutter.bank_slug }}.features.complaints import models as complaint_models
from {{ cookiecutter.bank_slug }}.features.complaints.models import Complaint
from {{ cookiecutter.bank_slug }}.features.credit_cards import models as credit_models
from {{ cookiecutter.bank_slug }}.features.privacy import consent as consents
from {{ cookiecutter.bank_slug }}.features.privacy import inventory
from {{ cookiecutter.bank_slug }}.features.privacy import service as privacy
from {{ cookiecutter.bank_slug }}.features.privacy.models import ErasureRecord, PrivacyConsent
from {{ cookiecutter.bank_slug }}.features.requests import models as request_models
from {{ cookiecutter.bank_slug }}.features.transfers import models as transfer_models
from {{ cookiecutter.bank_slug }}.features.transfers.models import TransferOrder
from {{ cookiecutter.bank_slug }}.sms import OUTBOX
from {{ cookiecutter.bank_slug }}.wechat.models import Follower, FollowEvent

from ...binding_support import LI, ZHANG, seed_demo
from ...helpers import free_port
from .support import ALICE, BOB, bind_via_pages, consent_via_page, csrf, signed_in

pytestmark = pytest.mark.smoke


@pytest.fixture
def app(make_app):
    app = make_app(WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}")
    seed_demo(app)
    OUTBOX.clear()
    return app


def transfer(openid: str, status: str, key: str) -> TransferOrder:
    order = TransferOrder(idempotency_key=key, openid=openid, binding_id=1, from_account_id="A0000001",
                          from_card_masked="6228 **** **** 0018", payee_number=LI.cards[0], payee_name=LI.name,
                          payee_bank="", amount_fen=12345, status=status)
    db.session.add(order)
    return order


def complaint(openid: str, status: str, key: str) -> Complaint:
    filed = Complaint(ticket_no=f"TS{key}", idempotency_key=key, openid=openid, category="service",
                      description="柜面服务态度", contact_channel="wechat", contact_time="any", status=status,
                      clock_start=date.today(), limit_days=15)
    db.session.add(filed)
    return filed


@pytest.fixture
def customer(app):
    """Alice: consent, a bound card, alert settings, a posted transfer, a closed complaint, a follow; and Bob."""
    client = signed_in(app)
    consent_via_page(client)
    bind_via_pages(client)
    with app.app_context():
        consents.give_consent(BOB, consents.notice_version(), True)
        db.session.add(CardBinding(openid=BOB, account_id="A0000009", card_mask="6228 **** **** 9999",
                                   sms_phone=LI.phone, status="active"))
        db.session.add(AlertPreference(openid=ALICE, enabled=True, min_amount_fen=5000, sms_fallback=True))
        transfer(ALICE, transfer_models.POSTED, "t-alice-1")
        transfer(BOB, transfer_models.POSTED, "t-bob-1")
        complaint(ALICE, complaint_models.CLOSED, "c-alice-1")
        follower = Follower(openid=ALICE, nickname="爱丽丝", subscribed=True)
        db.session.add(follower)
        db.session.flush()
        db.session.add(FollowEvent(follower_id=follower.id, kind="subscribe"))
        db.session.commit()
    return client


def personal_rows(openid: str) -> dict[str, int]:
    counts = {}
    for table in privacy.customer_tables():
        count = db.session.scalar(select(func.count()).select_from(table).where(table.c.openid == openid))
        if count:
            counts[table.name] = count
    return counts


def test_my_information_shows_each_kind_masked(app, customer):
    html = customer.get("/h5/privacy/mine").get_data(as_text=True)
    for title in ("绑定的银行卡", "转账记录", "投诉", "动账提醒设置", "关注记录", "个人信息处理同意"):
        assert title in html, title
    assert "6228 **** **** " in html and "138****" in html or "****" in html
    for clear in (ZHANG.phone, LI.cards[0], LI.name):
        assert clear not in html
    assert "您已同意隐私政策版本" in html and "注销微信银行服务" in html


def test_the_copy_downloads_as_json_with_every_row(app, customer):
    response = customer.get("/h5/privacy/mine/download")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    kinds = {record["kind"]: record for record in document["records"]}
    assert {"card_binding", "transfer_order", "complaint", "alert_preference", "wechat_follower",
            "privacy_consent"} <= set(kinds)
    assert kinds["transfer_order"]["count"] == 1  # Bob's transfer is not in Alice's copy
    kept = kinds["transfer_order"]
    assert kept["on_cancellation"] == "keep" and "反洗钱法" in kept["kept_because"]
    raw = response.get_data(as_text=True)
    assert LI.cards[0] not in raw and ZHANG.phone not in raw and ALICE not in raw


@pytest.mark.parametrize("blocker", ["transfer", "complaint", "request"])
def test_cancellation_with_something_open_is_refused_and_changes_nothing(app, customer, blocker):
    with app.app_context():
        if blocker == "transfer":
            transfer(ALICE, transfer_models.AWAITING_PIN, "t-alice-open")
        elif blocker == "complaint":
            complaint(ALICE, complaint_models.RECEIVED, "c-alice-open")
        else:
            db.session.add(request_models.BranchRequest(kind=request_models.KIND_LOAN, openid=ALICE,
                                                        branch_code="001", status=request_models.RECEIVED))
        db.session.commit()
        before = personal_rows(ALICE)
    page = customer.get("/h5/privacy/erase").get_data(as_text=True)
    assert 'data-testid="blockers"' in page and "确认注销" not in page
    token = csrf(customer, "/h5/privacy/withdraw")  # the erase page has no form while blocked: post anyway
    refused = customer.post("/h5/privacy/erase", data={"csrf_token": token})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "暂时不能注销" in body and "本次未做任何更改" in body
    expected = {"transfer": "尚未完成的转账", "complaint": "尚未办结的投诉", "request": "贷款申请或办卡预约"}[blocker]
    assert expected in body
    with app.app_context():
        assert personal_rows(ALICE) == before
        assert len(bindings.active_bindings(ALICE)) == 1 and consents.has_current_consent(ALICE)
        assert db.session.scalar(select(func.count(ErasureRecord.id))) == 0


def test_cancellation_erases_all_but_what_the_audit_and_the_law_keep(app, customer):
    page = customer.get("/h5/privacy/erase").get_data(as_text=True)
    assert "将被删除" in page and "依法保留的信息" in page and "反洗钱法" in page
    done = customer.post("/h5/privacy/erase", data={"csrf_token": csrf(customer, "/h5/privacy/erase")})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "已注销微信银行服务" in body
    assert "转账记录" in body and "投诉" in body and "绑定的银行卡" in body  # it says what is kept, and why
    with app.app_context():
        left = personal_rows(ALICE)
        kept = {kind.table for kind in inventory.KINDS if kind.action == inventory.KEEP}
        assert set(left) <= kept, left  # nothing but the kept kinds
        assert set(left) == {"card_binding", "transfer_order", "complaint", "privacy_consent"}
        [binding] = db.session.scalars(select(CardBinding).where(CardBinding.openid == ALICE)).all()
        assert (binding.status, binding.sms_phone) == ("unbound", None)  # the phone is erased from the record
        assert db.session.scalar(select(func.count(BindingChallenge.id)).where(BindingChallenge.openid == ALICE)) == 0
        assert db.session.scalar(select(func.count(FollowEvent.id))) == 0  # dependent rows went with the follower
        [consent] = db.session.scalars(select(PrivacyConsent).where(PrivacyConsent.openid == ALICE)).all()
        assert consent.ended_reason == "erased" and consent.withdrawn_at is not None
        [record] = db.session.scalars(select(ErasureRecord)).all()
        assert record.subject_hash == privacy.subject_hash(ALICE) and ALICE not in record.summary
        summary = json.loads(record.summary)
        assert summary["erased"]["alert_preference"] == 1 and summary["erased"]["wechat_follower"] == 1
        # Bob is untouched
        assert personal_rows(BOB) == {"card_binding": 1, "transfer_order": 1, "privacy_consent": 1}
        assert bindings.active_bindings(BOB)[0].sms_phone == LI.phone
    assert customer.get("/h5/privacy/mine").status_code == 302  # signed out: identify again


def test_a_failure_part_way_rolls_the_whole_cancellation_back(app, customer, monkeypatch):
    real = privacy._delete_with_dependents
    calls = []

    def failing(table, where):
        calls.append(table.name)
        if len(calls) == 3:  # a few tables in: the database refuses
            db.session.execute(text("SELECT * FROM no_such_table"))
        return real(table, where)

    monkeypatch.setattr(privacy, "_delete_with_dependents", failing)
    with app.app_context():
        before = personal_rows(ALICE)
    failed = customer.post("/h5/privacy/erase", data={"csrf_token": csrf(customer, "/h5/privacy/erase")})
    assert failed.status_code == 503 and "未做任何更改" in failed.get_data(as_text=True)
    with app.app_context():
        assert personal_rows(ALICE) == before
        assert len(bindings.active_bindings(ALICE)) == 1 and consents.has_current_consent(ALICE)
        assert db.session.scalar(select(func.count(ErasureRecord.id))) == 0
    monkeypatch.setattr(privacy, "_delete_with_dependents", real)
    assert customer.post("/h5/privacy/erase",
                         data={"csrf_token": csrf(customer, "/h5/privacy/erase")}).status_code == 200


def test_the_inventory_statuses_are_the_features_own():
    assert set(inventory.OPEN_TRANSFERS) == {transfer_models.AWAITING_PIN, transfer_models.PROCESSING,
                                             transfer_models.UNCONFIRMED, transfer_models.PENDING_SETTLEMENT,
                                             transfer_models.HELD, transfer_models.UNDER_REVIEW}
    assert set(inventory.OPEN_REPAYMENTS) == {credit_models.AWAITING_PIN, credit_models.PROCESSING,
                                              credit_models.UNCONFIRMED}
    assert set(inventory.OPEN_COMPLAINTS) == set(complaint_models.OPEN_STATUSES)
    assert {request_models.RECEIVED, request_models.CONTACTED, request_models.IN_REVIEW,
            request_models.BOOKED} == set(inventory.OPEN_REQUESTS)


def test_every_table_with_an_openid_is_in_the_inventory(app):
    with app.app_context():
        names = {table.name for table in privacy.customer_tables()}
    assert names == set(inventory.BY_TABLE), names ^ set(inventory.BY_TABLE)


def test_an_erased_customer_can_come_back(app, customer):
    customer.post("/h5/privacy/erase", data={"csrf_token": csrf(customer, "/h5/privacy/erase")})
    client = signed_in(app)
    assert client.get("/h5/bind").status_code == 302  # consent again first
    consent_via_page(client)
    bound = bind_via_pages(client, ZHANG, ZHANG.cards[1])
    assert bound.status_code == 302
