"""Segment selection: each criterion (branch, bound, follow source, products viewed, last interaction, a
WeChat tag) picks exactly the followers it names, unfollowed users never; the 4-a-month rule leaves out
followers at 4 and refuses a segment that would reach nobody, with the reason."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.marketing.models import PushAudience, Segment, SegmentPush
from {{ cookiecutter.bank_slug }}.features.marketing.segments import (
    SegmentError,
    check_sendable,
    clean_criteria,
    matching_openids,
    received_this_month,
    select_members,
)
from {{ cookiecutter.bank_slug }}.features.products.models import ProductView, WealthProduct
from {{ cookiecutter.bank_slug }}.features.pushes.models import MassPush
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import Follower, InboundMessage

from .conftest import BOUND_EAST, BOUND_WEST, FOLLOWING, GONE, NO_CODE, QR_EAST


def segment(**criteria) -> Segment:
    return Segment(created_by="hq_admin", **{"name": "t", "bound": "any", **criteria})


def product_id(code: str) -> int:
    return db.session.execute(select(WealthProduct.id).where(WealthProduct.code == code)).scalar_one()


def test_no_criteria_is_every_follower_and_never_the_unfollowed(crowd):
    with crowd.app.app_context():
        assert matching_openids(segment()) == sorted(FOLLOWING)
        assert GONE not in matching_openids(segment(branch_code="8801"))


def test_branch_is_the_binding_branch_else_the_branch_qr_code_followed_through(crowd):
    with crowd.app.app_context():
        assert matching_openids(segment(branch_code="8801")) == sorted([BOUND_EAST, QR_EAST])
        assert matching_openids(segment(branch_code="8802")) == [BOUND_WEST]


def test_bound_or_not(crowd):
    with crowd.app.app_context():
        assert matching_openids(segment(bound="bound")) == sorted([BOUND_EAST, BOUND_WEST])
        assert matching_openids(segment(bound="unbound")) == sorted([QR_EAST, NO_CODE])


def test_follow_source_by_kind_by_code_and_none(crowd):
    with crowd.app.app_context():
        assert matching_openids(segment(source="kind:campaign")) == [BOUND_WEST]
        assert matching_openids(segment(source=f"code:{crowd.east_code_id}")) == [QR_EAST]
        assert matching_openids(segment(source="none")) == sorted([BOUND_EAST, NO_CODE])
        assert matching_openids(segment(source="kind:branch", bound="bound")) == []


def test_products_viewed_and_last_interaction(crowd):
    with crowd.app.app_context():
        viewed = product_id("LC2026501")
        db.session.add_all([ProductView(product_id=viewed, openid=NO_CODE),
                            ProductView(product_id=viewed, openid=None),  # an anonymous visitor
                            ProductView(product_id=product_id("LC2026502"), openid=QR_EAST)])
        old = utcnow() - timedelta(days=40)
        db.session.add_all([
            InboundMessage(dedup_key="mk-1", openid=QR_EAST, msg_type="text", received_at=utcnow()),
            InboundMessage(dedup_key="mk-2", openid=BOUND_EAST, msg_type="text", received_at=old),
        ])
        db.session.commit()
        assert matching_openids(segment(product_id=viewed)) == [NO_CODE]
        assert matching_openids(segment(active_days=30)) == [QR_EAST]
        assert matching_openids(segment(active_days=60)) == sorted([BOUND_EAST, QR_EAST])


def sent_push(target: str, days_ago: float = 0) -> MassPush:
    job = MassPush(product_id=product_id("LC2026501"), target=target, content="x", created_by="hq_admin",
                   sent_at=utcnow() - timedelta(days=days_ago), result="ok")
    db.session.add(job)
    db.session.flush()
    return job


def test_the_month_counts_all_sends_since_following_segment_audiences_and_other_tags(crowd):
    with crowd.app.app_context():
        own = segment(name="own")
        db.session.add(own)
        db.session.flush()
        sent_push("all")
        seg_job = sent_push("tag:500")
        db.session.add(SegmentPush(push_id=seg_job.id, segment_id=own.id, members=1, excluded=0))
        db.session.add(PushAudience(push_id=seg_job.id, openid=QR_EAST))
        sent_push("tag:7")  # a tag the service does not know the members of: counts for everyone
        db.session.commit()
        counts = received_this_month(FOLLOWING)
        assert counts[QR_EAST] == 3
        assert counts[BOUND_EAST] == counts[NO_CODE] == counts[BOUND_WEST] == 2


def test_followers_at_four_are_left_out_and_a_segment_of_only_them_is_refused(crowd):
    with crowd.app.app_context():
        for _ in range(4):
            sent_push("all")
        db.session.commit()
        selection = select_members(segment(branch_code="8801"))
        assert selection.members == tuple(sorted([BOUND_EAST, QR_EAST]))
        assert selection.eligible == ()
        with pytest.raises(SegmentError, match="都已收满 4 条群发"):
            check_sendable(selection)


def test_a_follower_who_followed_after_the_sends_is_not_counted_full(crowd):
    with crowd.app.app_context():
        for _ in range(4):
            sent_push("all")
        late = db.session.execute(select(Follower).where(Follower.openid == NO_CODE)).scalar_one()
        late.subscribed_at = utcnow()
        db.session.commit()
        selection = select_members(segment(bound="unbound"))
        assert selection.eligible == (NO_CODE,)


def test_a_segment_that_matches_nobody_is_refused_with_the_reason(crowd):
    with crowd.app.app_context():
        selection = select_members(segment(branch_code="8802", bound="unbound"))
        with pytest.raises(SegmentError, match="没有匹配的关注用户"):
            check_sendable(selection)


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("name", "", "人群名称"), ("name", "长" * 31, "人群名称"), ("branch_code", "9999", "网点"),
    ("bound", "maybe", "绑卡"), ("source", "code:99999", "关注来源"), ("source", "kind:robot", "关注来源"),
    ("wechat_tag_id", "-3", "微信标签"), ("wechat_tag_id", "１２", "微信标签"),
    ("product_id", "424242", "浏览过的产品"),
    ("active_days", "366", "最近互动"), ("active_days", "0", "最近互动"),
])
def test_bad_criteria_name_the_field(crowd, field, value, reason):
    with crowd.app.app_context():
        with pytest.raises(SegmentError, match=reason):
            clean_criteria({"name": "东街客户", field: value})
