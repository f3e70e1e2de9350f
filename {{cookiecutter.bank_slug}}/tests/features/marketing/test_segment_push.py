"""A 群发 to a segment through the admin panel and the mock WeChat API: the segment's WeChat tag is created and
given exactly the segment's members (50 a call), the job goes through preview and 双人复核 like any 群发,
and the approved send reaches the tag's followers only. Right before the send the segment is selected and
tagged again (a member who left is untagged); a segment that matches nobody, or only followers at 4 this
month, is refused with the reason and nothing is sent."""

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.marketing.models import PushAudience, Segment, SegmentPush
from {{ cookiecutter.bank_slug }}.features.products.models import WealthProduct
from {{ cookiecutter.bank_slug }}.features.pushes.models import MassPush
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.marketing_state import FIRST_TAG_ID
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import Follower

from ...admin.conftest import add_staff, csrf_of, logged_in
from ...live_sandbox import live_sandbox
from .conftest import BOUND_EAST, FOLLOWING, GONE, QR_EAST

PAGE = "/admin/marketing_segments/"
PUSH = "/admin/push/"
ADMIN_OPENID = "oMkAdminPreview00000000000001"


@pytest.fixture
def live(crowd):
    add_staff(crowd.app, "hq_checker")
    with crowd.app.app_context():
        from {{ cookiecutter.bank_slug }}.admin.models import StaffUser
        db.session.execute(select(StaffUser).where(StaffUser.username == "hq_admin")).scalar_one().openid = \
            ADMIN_OPENID
        db.session.commit()
    with live_sandbox(crowd.app) as sandbox:
        sandbox.state.add_user(ADMIN_OPENID, "管理员")
        for openid in FOLLOWING:
            sandbox.state.add_user(openid)
        sandbox.state.add_user(GONE, subscribed=False)
        yield sandbox


def save_segment(client, **fields) -> int:
    data = {"csrf_token": csrf_of(client, PAGE), "name": "东街客户", "bound": "any", **fields}
    response = client.post(PAGE + "save/", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with client.application.app_context():
        return db.session.execute(select(Segment.id).where(Segment.name == data["name"])).scalar_one()


def product_id(app) -> int:
    with app.app_context():
        return db.session.execute(select(WealthProduct.id).where(WealthProduct.code == "LC2026501")).scalar_one()


def push_segment(client, segment_id):
    return client.post(PAGE + "push/", data={"csrf_token": csrf_of(client, PAGE), "id": segment_id,
                                              "product_id": product_id(client.application)})


def post(client, path, **data):
    return client.post(PUSH + path, data={"csrf_token": csrf_of(client, PUSH), **data})


def tagged(sandbox, tag_id) -> set[str]:
    return {user.openid for user in sandbox.state.users.values() if tag_id in user.tags}


def test_a_segment_push_tags_exactly_the_members_and_sends_to_them_after_review(crowd, live):
    author, checker = logged_in(crowd.app, "hq_admin"), logged_in(crowd.app, "hq_checker")
    segment_id = save_segment(author, branch_code="8801")
    page = author.get(PAGE + f"?id={segment_id}").get_data(as_text=True)
    assert "匹配 2 位关注用户" in page
    response = push_segment(author, segment_id)
    assert response.status_code == 303 and "/admin/push/job/" in response.headers["Location"]
    with crowd.app.app_context():
        segment = db.session.get(Segment, segment_id)
        job = db.session.execute(select(MassPush)).scalar_one()
        assert segment.tag_id == FIRST_TAG_ID and job.target == f"tag:{FIRST_TAG_ID}"
        assert db.session.get(SegmentPush, job.id).members == 2
        job_id = job.id
    assert tagged(live, FIRST_TAG_ID) == {BOUND_EAST, QR_EAST}
    assert live.state.records_since(0, "mass_send") == []  # nothing sent before preview and review

    assert post(author, "preview/", id=job_id).status_code == 303
    assert post(author, "submit/", id=job_id).status_code == 303
    # before the approval, QR_EAST unfollows: the send re-selects and untags them
    with crowd.app.app_context():
        db.session.execute(select(Follower).where(Follower.openid == QR_EAST)).scalar_one().subscribed = False
        db.session.commit()
    assert post(checker, "approve/", id=job_id).status_code == 303
    [sent] = live.state.records_since(0, "mass_send")
    assert sent.payload["filter"] == {"is_to_all": False, "tag_id": FIRST_TAG_ID}
    assert sent.extra["delivered_to"] == [BOUND_EAST]
    assert tagged(live, FIRST_TAG_ID) == {BOUND_EAST}
    with crowd.app.app_context():
        assert [a.openid for a in db.session.execute(select(PushAudience)).scalars()] == [BOUND_EAST]
        actions = {row.action for row in db.session.execute(select(AuditLog)).scalars()}
        assert {"create", "segment_push", "mass_approve"} <= actions


def test_a_segment_of_nobody_is_refused_before_anything_is_sent(crowd, live):
    author = logged_in(crowd.app, "hq_admin")
    segment_id = save_segment(author, name="西街未绑卡", branch_code="8802", bound="unbound")
    response = push_segment(author, segment_id)
    assert response.status_code == 303
    page = author.get(response.headers["Location"]).get_data(as_text=True)
    assert "没有匹配的关注用户，未发送" in page
    assert live.state.records_since(0, "tag") == [] and live.state.records_since(0, "mass_send") == []
    with crowd.app.app_context():
        assert db.session.execute(select(MassPush)).first() is None


def test_a_segment_all_at_four_this_month_is_refused_with_the_reason(crowd, live):
    author = logged_in(crowd.app, "hq_admin")
    segment_id = save_segment(author, branch_code="8801")
    with crowd.app.app_context():
        product = product_id(crowd.app)
        for n in range(4):
            db.session.add(MassPush(product_id=product, target="all", content=f"x{n}", created_by="hq_admin",
                                    sent_at=utcnow(), result="ok"))
        db.session.commit()
    response = push_segment(author, segment_id)
    page = author.get(response.headers["Location"]).get_data(as_text=True)
    assert "都已收满 4 条群发" in page
    assert live.state.records_since(0, "tagging") == []
    with crowd.app.app_context():
        assert db.session.execute(select(MassPush).where(MassPush.target != "all")).first() is None


def test_segments_are_head_office_only_and_bad_input_is_a_400_naming_the_field(crowd):
    east = logged_in(crowd.app, "east_op")
    assert east.get(PAGE).status_code == 403
    author = logged_in(crowd.app, "hq_admin")
    response = author.post(PAGE + "save/", data={"csrf_token": csrf_of(author, PAGE), "name": "x",
                                                 "active_days": "abc"})
    assert response.status_code == 400
    assert "最近互动" in response.get_data(as_text=True)
    with crowd.app.app_context():
        assert db.session.execute(select(Segment)).first() is None


def test_a_tag_left_on_wechat_by_an_earlier_run_is_found_by_name(crowd, live):
    live.state.marketing.tags[777] = "东街客户"  # WeChat already has a tag of the segment's name: 45157
    author = logged_in(crowd.app, "hq_admin")
    segment_id = save_segment(author, branch_code="8801")
    assert push_segment(author, segment_id).status_code == 303
    with crowd.app.app_context():
        assert db.session.get(Segment, segment_id).tag_id == 777
    assert tagged(live, 777) == {BOUND_EAST, QR_EAST}
