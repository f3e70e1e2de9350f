"""Hypothesis fuzz of the marketing forms: the segment form, the article form, the follow-up action and the
customer's consent. Whatever is typed: an answer below 500, a refusal is a 4xx naming the field, and what is
stored keeps every rule (no half-stored segment or article)."""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.marketing.articles import TITLE_MAX
from {{ cookiecutter.bank_slug }}.features.marketing.models import BOUND_CHOICES, Article, Consent, Segment
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER

from ...admin.conftest import CSRF, csrf_of, logged_in

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
hostile = st.one_of(st.text(max_size=60), st.sampled_from(
    ["", " ", "\x00", "' OR 1=1 --", "<script>alert(1)</script>", "9" * 40, "-1", "0", "１２", "code:1", "kind:staff",
     "none", "bound", "8801", "sandbox-cover-0001", "https://example.cn/a"]))
SEGMENT_FIELDS = ("name", "branch_code", "bound", "source", "wechat_tag_id", "product_id", "active_days", "id")
ARTICLE_FIELDS = ("title", "author", "digest", "body", "source_url", "thumb_media_id", "keyword", "id")


@given(data=st.data())
@FUZZ
def test_the_segment_form(crowd, data):
    client = logged_in(crowd.app, "hq_admin")
    fields = data.draw(st.dictionaries(st.sampled_from(SEGMENT_FIELDS), hostile, max_size=7))
    response = client.post("/admin/marketing_segments/save/",
                           data={"csrf_token": csrf_of(client, "/admin/marketing_segments/"), **fields})
    assert response.status_code in (303, 400), (fields, response.status_code)
    with crowd.app.app_context():
        for segment in db.session.execute(select(Segment)).scalars():
            assert 0 < len(segment.name) <= 30 and segment.bound in BOUND_CHOICES
            assert segment.active_days is None or 1 <= segment.active_days <= 365


@given(data=st.data())
@FUZZ
def test_the_article_form_and_the_follow_up_action(crowd, data):
    client = logged_in(crowd.app, "hq_admin")
    fields = data.draw(st.dictionaries(st.sampled_from(ARTICLE_FIELDS), hostile, max_size=8))
    response = client.post("/admin/marketing_articles/save/",
                           data={"csrf_token": csrf_of(client, "/admin/marketing_articles/"), **fields})
    assert response.status_code in (303, 400), (fields, response.status_code)
    with crowd.app.app_context():
        for article in db.session.execute(select(Article)).scalars():
            assert 0 < len(article.title) <= TITLE_MAX and article.body and article.status == "draft"
    east = logged_in(crowd.app, "east_op")
    followup = "/admin/marketing_followup/"
    response = east.post(followup + "contacted/", data={"csrf_token": csrf_of(east, followup),
                                                        "key": data.draw(hostile), "note": data.draw(hostile)})
    assert response.status_code == 303


@given(choice=hostile)
@FUZZ
def test_the_consent_form(crowd, choice):
    client = crowd.app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": "oFuzzConsent00000000000000001", "at": int(time.time())}
    token = CSRF.search(client.get("/h5/marketing/consent").get_data(as_text=True)).group(1)
    response = client.post("/h5/marketing/consent", data={"csrf_token": token, "choice": choice})
    assert response.status_code in (200, 400)
    with crowd.app.app_context():
        row = db.session.get(Consent, "oFuzzConsent00000000000000001")
        assert row is None or choice in ("grant", "revoke")
