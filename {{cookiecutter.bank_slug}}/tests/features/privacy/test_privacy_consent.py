"""The separate consent before binding (PIPL arts. 28-29): the notice and its version, binding gated on a consent
to the current version, a consent page posted without the tick or against an old version, double submissions,
and withdrawal unbinding every card."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding import service as bindings
from {{ cookiecutter.bank_slug }}.features.binding.models import BindingChallenge, CardBinding
from {{ cookiecutter.bank_slug }}.features.privacy import consent as consents
from {{ cookiecutter.bank_slug }}.features.privacy.models import PrivacyConsent
from {{ cookiecutter.bank_slug }}.sms import OUTBOX
from {{ cookiecutter.bank_slug }}.web.attempts import Attempt

from ...binding_support import ZHANG, seed_demo
from ...helpers import free_port
from .support import ALICE, BOB, bind_via_pages, consent_via_page, csrf, signed_in

pytestmark = pytest.mark.smoke


@pytest.fixture
def app(make_app):
    app = make_app(WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}", PRIVACY_NOTICE_VERSION="2026.2")
    seed_demo(app)
    OUTBOX.clear()
    return app


def consents_of(app, openid=ALICE) -> list[PrivacyConsent]:
    with app.app_context():
        return list(db.session.scalars(select(PrivacyConsent).where(PrivacyConsent.openid == openid)
                                       .order_by(PrivacyConsent.id)))


def test_the_notice_is_public_versioned_and_names_what_binding_collects(app):
    html = app.test_client().get("/h5/privacy").get_data(as_text=True)
    assert "版本 2026.2" in html and "敏感个人信息单独告知" in html
    assert "银行卡号、开户人姓名、居民身份证号码和银行预留手机号" in html


def test_the_banks_own_notice_text_replaces_the_default(make_app, tmp_path):
    notice = tmp_path / "notice.txt"
    notice.write_text("第一条 本行如何处理<您的>信息。\n\n第二条 联系方式。\n", encoding="utf-8")
    app = make_app(PRIVACY_NOTICE_FILE=str(notice))
    html = app.test_client().get("/h5/privacy").get_data(as_text=True)
    assert "第一条 本行如何处理&lt;您的&gt;信息。" in html and "<p>第二条 联系方式。</p>" in html
    assert "我们处理的信息" not in html  # the default's heading is gone
    assert "敏感个人信息单独告知" in html  # the separate clause is always there


def test_binding_waits_for_the_consent(app):
    client = signed_in(app)
    form = client.get("/h5/bind")
    assert form.status_code == 302 and form.headers["Location"].startswith("/h5/privacy/consent")
    # posting the binding form anyway: refused before the core or the SMS gateway is asked, nothing stored
    token = csrf(client, "/h5/privacy/consent")
    refused = client.post("/h5/bind", data={"csrf_token": token, "card_number": ZHANG.cards[0],
                                            "holder_name": ZHANG.name, "id_number": ZHANG.id_number,
                                            "phone": ZHANG.phone})
    assert refused.status_code == 403 and "请先阅读并单独同意" in refused.get_data(as_text=True)
    assert OUTBOX.messages() == []
    with app.app_context():
        assert db.session.scalar(select(func.count(BindingChallenge.id))) == 0
        assert db.session.scalar(select(func.count(Attempt.id))) == 0
        with pytest.raises(bindings.PreconditionUnmet):  # the service refuses too, whatever calls it
            bindings.start_binding(ALICE, ZHANG.cards[0], ZHANG.name, ZHANG.id_number, ZHANG.phone)


def test_a_consent_page_posted_without_the_tick_is_refused_and_stores_nothing(app):
    client = signed_in(app)
    refused = consent_via_page(client, agree=False)
    assert refused.status_code == 400
    assert "请阅读并勾选“我已阅读并同意”后再继续" in refused.get_data(as_text=True)
    assert consents_of(app) == []
    assert client.get("/h5/bind").status_code == 302  # still gated


def test_consent_records_version_and_time_then_binding_proceeds(app):
    client = signed_in(app)
    given = consent_via_page(client)
    assert given.status_code == 302 and given.headers["Location"] == "/h5/bind"
    [consent] = consents_of(app)
    assert (consent.scope, consent.notice_version, consent.withdrawn_at) == ("binding", "2026.2", None)
    assert consent.granted_at is not None
    page = client.get("/h5/privacy/consent").get_data(as_text=True)  # already given: the page says so, no form
    assert 'data-testid="consented"' in page and "版本 2026.2" in page and 'data-testid="consent-form"' not in page
    bound = bind_via_pages(client)
    assert bound.status_code == 302 and bound.headers["Location"].startswith("/h5/cards")


def test_a_double_submission_records_one_consent(app):
    client = signed_in(app)
    page = client.get("/h5/privacy/consent").get_data(as_text=True)
    from .support import CSRF_INPUT
    data = {"csrf_token": CSRF_INPUT.search(page).group(1), "version": "2026.2", "agree": "y", "next": "/h5/bind"}
    assert [client.post("/h5/privacy/consent", data=data).status_code for _ in range(3)] == [302, 302, 302]
    assert len(consents_of(app)) == 1


def test_a_consent_to_an_old_version_is_refused_and_a_new_version_asks_again(app, make_app):
    client = signed_in(app)
    stale = consent_via_page(client, version="2025.9")  # the page was open while the bank changed the notice
    assert stale.status_code == 409 and "隐私政策已更新" in stale.get_data(as_text=True)
    assert consents_of(app) == []
    assert consent_via_page(client).status_code == 302
    newer = make_app(PRIVACY_NOTICE_VERSION="2027.1")  # same database, the notice changed
    client = signed_in(newer)
    asked = client.get("/h5/bind")
    assert asked.status_code == 302 and "/h5/privacy/consent" in asked.headers["Location"]
    assert "您此前同意的是版本 2026.2" in client.get("/h5/privacy/consent").get_data(as_text=True)
    assert consent_via_page(client).status_code == 302
    old, new = consents_of(newer)
    assert (old.notice_version, old.ended_reason, new.notice_version, new.withdrawn_at) == \
        ("2026.2", "superseded", "2027.1", None)


def test_withdrawal_unbinds_every_card_and_gates_binding_again(app):
    client = signed_in(app)
    consent_via_page(client)
    bind_via_pages(client, card=ZHANG.cards[0])
    bind_via_pages(client, card=ZHANG.cards[1])
    with app.app_context():
        consents.give_consent(BOB, "2026.2", True)
        assert len(bindings.active_bindings(ALICE)) == 2
    page = client.get("/h5/privacy/withdraw").get_data(as_text=True)
    assert "全部 2 张" in page
    done = client.post("/h5/privacy/withdraw", data={"csrf_token": csrf(client, "/h5/privacy/withdraw")})
    assert done.status_code == 200 and "已为您解除绑定 2 张银行卡" in done.get_data(as_text=True)
    with app.app_context():
        assert bindings.active_bindings(ALICE) == []
        rows = db.session.scalars(select(CardBinding).where(CardBinding.openid == ALICE)).all()
        assert {(b.status, b.unbind_reason) for b in rows} == {("unbound", consents.UNBIND_REASON)}
        assert consents.has_current_consent(BOB)  # someone else's consent is untouched
    [consent] = consents_of(app)
    assert consent.withdrawn_at is not None and consent.ended_reason == "withdrawn"
    assert client.get("/h5/bind").status_code == 302
    again = client.post("/h5/privacy/withdraw", data={"csrf_token": csrf(client, "/h5/privacy/withdraw")})
    assert again.status_code == 200 and "已为您解除绑定 0 张银行卡" in again.get_data(as_text=True)


def test_withdrawal_while_a_code_is_on_its_way_stops_the_binding(app):
    client = signed_in(app)
    consent_via_page(client)
    token = csrf(client, "/h5/bind")
    client.post("/h5/bind", data={"csrf_token": token, "card_number": ZHANG.cards[0], "holder_name": ZHANG.name,
                                  "id_number": ZHANG.id_number, "phone": ZHANG.phone})
    with app.app_context():
        [challenge] = db.session.scalars(select(BindingChallenge)).all()
        consents.withdraw_consent(ALICE)
        db.session.refresh(challenge)
        assert (challenge.status, challenge.phone) == ("failed", "")
        assert db.session.scalar(select(func.count(CardBinding.id))) == 0


def test_the_consent_pages_need_a_signed_in_customer_and_a_csrf_token(app):
    anonymous = app.test_client()
    assert anonymous.get("/h5/privacy/consent").status_code == 302  # to OAuth
    client = signed_in(app)
    refused = client.post("/h5/privacy/consent", data={"version": "2026.2", "agree": "y"})
    assert refused.status_code == 400 and consents_of(app) == []


@given(agree=st.one_of(st.none(), st.sampled_from(["y", "on", "1", "", "n", "false"]), st.text(max_size=20)),
       version=st.one_of(st.just("2026.2"), st.text(max_size=40)),
       next_path=st.one_of(st.just("/h5/bind"), st.text(max_size=60),
                           st.sampled_from(["//evil.example", "https://evil.example/x", "/\\evil", "javascript:x"])))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzzed_consent_posts_are_answered_and_stored_only_when_given(make_app, agree, version, next_path):
    app = fuzz_app(make_app)
    client = signed_in(app, FUZZ)
    token = csrf(client, "/h5/privacy/consent")
    data = {"csrf_token": token, "version": version, "next": next_path}
    if agree is not None:
        data["agree"] = agree
    response = client.post("/h5/privacy/consent", data=data)
    assert response.status_code in (302, 400, 409), response.get_data(as_text=True)[:300]
    with app.app_context():
        stored = db.session.scalar(select(func.count(PrivacyConsent.id)).where(
            PrivacyConsent.openid == FUZZ, PrivacyConsent.withdrawn_at.is_(None)))
        given_now = (agree or "").strip().lower() in ("y", "yes", "on", "1", "true") and version == "2026.2"
        assert (response.status_code == 302) == given_now
        if response.status_code == 302:
            location = response.headers["Location"]
            assert location.startswith("/") and not location.startswith("//") and "\\" not in location
            assert stored == 1
            consents.withdraw_consent(FUZZ)  # the next example starts without one
        else:
            assert not consents.has_current_consent(FUZZ)


FUZZ = "oFuzzConsent0000000000000001"
_FUZZ_APPS: list = []


def fuzz_app(make_app):
    """One app for every example (make_app empties the tables only at the end of the test)."""
    if not _FUZZ_APPS or _FUZZ_APPS[0][0] is not make_app:
        _FUZZ_APPS[:] = [(make_app, make_app(PRIVACY_NOTICE_VERSION="2026.2"))]
    return _FUZZ_APPS[0][1]
