"""群发 in the admin panel: a product on sale announced to all followers or a tag, previewed first on the
staff member's own openid through the mock WeChat API; the real send only after a successful preview of the
same text and a second head-office admin's approval (双人复核, test_content_push_review.py), and only once;
head office only, CSRF-checked and audited with openids masked."""

import json

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.admin.models import StaffUser
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.products.models import (
    RISK_NOTICE,
    STATUS_CLOSED,
    STATUS_DRAFT,
    WealthProduct,
)
from {{ cookiecutter.bank_slug }}.features.pushes.models import MassPush
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.faults import Faults

from ..live_sandbox import live_sandbox
from ..product_support import add_product
from .conftest import add_staff, csrf_of, logged_in

PAGE = "/admin/push/"
REVIEWER = "hq_checker"
ADMIN_OPENID = "oAdminPreview000000000000001"
FOLLOWERS = {"oFollowerTagged0000000000001": [7], "oFollowerPlain00000000000001": [],
             "oFollowerGone000000000000001": [7]}


@pytest.fixture
def sandbox(panel):
    add_product(panel.app, "LC2026001", name="稳盈 90 天")
    add_staff(panel.app, REVIEWER)
    with live_sandbox(panel.app) as live:
        live.state.add_user(ADMIN_OPENID, "管理员", subscribed=True)
        for openid, tags in FOLLOWERS.items():
            live.state.add_user(openid, "", subscribed="Gone" not in openid, tags=tags)
        yield live


def product_id(app, code="LC2026001") -> int:
    with app.app_context():
        return db.session.execute(select(WealthProduct.id).where(WealthProduct.code == code)).scalar_one()


def jobs(app) -> list[MassPush]:
    with app.app_context():
        found = list(db.session.execute(select(MassPush).order_by(MassPush.id)).scalars())
        db.session.expunge_all()
        return found


def post(client, path, **data):
    return client.post(PAGE + path, data={"csrf_token": csrf_of(client, PAGE), **data})


def set_openid(client, openid=ADMIN_OPENID):
    assert post(client, "openid/", openid=openid).status_code == 303


def new_job(client, app, **fields) -> MassPush:
    data = {"product_id": product_id(app), "target": "all", **fields}
    response = post(client, "new/", **data)
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return jobs(app)[-1]


def reviewer(app):
    return logged_in(app, REVIEWER)


def submit_and_approve(author, checker, job_id):
    """The author submits the job for review, the second head-office admin approves it (then it is sent)."""
    assert post(author, "submit/", id=job_id).status_code == 303
    return post(checker, "approve/", id=job_id)


def records(live, kind):
    return live.state.records_since(0, kind)


def test_preview_first_then_the_real_send_to_all_followers(panel, sandbox):
    client = logged_in(panel.app, panel.head)
    set_openid(client)
    job = new_job(client, panel.app)
    assert "稳盈 90 天" in job.content and "2.80%-3.20%" in job.content and RISK_NOTICE in job.content
    assert f"{sandbox.service_url}/h5/products/LC2026001" in job.content
    page = client.get(f"{PAGE}job/?id={job.id}").get_data(as_text=True)
    assert "尚未预览" in page and 'data-testid="push-submit" disabled' in page

    refused = post(client, "submit/", id=job.id)  # no preview yet
    assert refused.status_code == 303
    assert "请先发送预览" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert records(sandbox, "mass_send") == [] and jobs(panel.app)[0].sent_at is None

    assert post(client, "preview/", id=job.id).status_code == 303
    [preview] = records(sandbox, "mass_preview")
    assert preview.openid == ADMIN_OPENID and preview.payload["text"]["content"] == job.content
    assert jobs(panel.app)[0].previewed_at is not None

    checker = reviewer(panel.app)
    assert submit_and_approve(client, checker, job.id).status_code == 303
    [sent] = records(sandbox, "mass_send")
    assert sent.payload["filter"] == {"is_to_all": True} and sent.payload["text"]["content"] == job.content
    assert sorted(sent.extra["delivered_to"]) == sorted([ADMIN_OPENID, "oFollowerTagged0000000000001",
                                                         "oFollowerPlain00000000000001"])
    done = jobs(panel.app)[0]
    assert done.sent_at is not None and done.msg_id == str(sent.extra["msg_id"]) and done.result == "ok"

    again = post(checker, "approve/", id=job.id)  # sent once only
    assert "不在待复核状态" in checker.get(again.headers["Location"]).get_data(as_text=True)
    assert len(records(sandbox, "mass_send")) == 1

    with panel.app.app_context():
        rows = list(db.session.execute(select(AuditLog).where(AuditLog.target_type == "mass_push")
                                       .order_by(AuditLog.id)).scalars())
        actions = [row.action for row in rows]
        previewed = next(row for row in rows if row.action == "mass_preview")
        assert ADMIN_OPENID not in (previewed.after or "")
        assert json.loads(previewed.after)["preview_openid"] == "oAdm****0001"
    assert actions == ["create", "mass_submit_failed", "mass_preview", "mass_submit", "mass_approve",
                       "mass_approve_failed"]


def test_a_tag_target_reaches_only_that_tags_followers(panel, sandbox):
    client = logged_in(panel.app, panel.head)
    set_openid(client)
    job = new_job(client, panel.app, target="tag", tag_id="7")
    assert job.target == "tag:7"
    post(client, "preview/", id=job.id)
    submit_and_approve(client, reviewer(panel.app), job.id)
    [sent] = records(sandbox, "mass_send")
    assert sent.payload["filter"] == {"is_to_all": False, "tag_id": 7}
    assert sent.extra["delivered_to"] == ["oFollowerTagged0000000000001"]  # the tagged follower who still follows


@pytest.mark.parametrize("fields,problem", [
    ({"target": "tag", "tag_id": "abc"}, "标签 ID 应为正整数"),
    ({"target": "tag", "tag_id": "0"}, "标签 ID 应为正整数"),
    ({"target": "tag", "tag_id": "99999999999"}, "标签 ID 应为正整数"),
    ({"target": "everyone"}, "请选择群发对象"),
    ({"product_id": "999999"}, "只能群发在售的理财产品"),
    ({"product_id": "x"}, "只能群发在售的理财产品"),
])
def test_bad_choices_are_explained_and_nothing_is_stored(panel, sandbox, fields, problem):
    client = logged_in(panel.app, panel.head)
    response = post(client, "new/", **{"product_id": product_id(panel.app), "target": "all", **fields})
    assert response.status_code == 400 and problem in response.get_data(as_text=True)
    assert jobs(panel.app) == []


@pytest.mark.parametrize("status", [STATUS_DRAFT, STATUS_CLOSED])
def test_only_products_on_sale_can_be_announced(panel, sandbox, status):
    add_product(panel.app, "LC2026002", status=status)
    client = logged_in(panel.app, panel.head)
    assert "LC2026002" not in client.get(PAGE).get_data(as_text=True)
    response = post(client, "new/", product_id=product_id(panel.app, "LC2026002"), target="all")
    assert response.status_code == 400 and jobs(panel.app) == []


def test_a_product_changed_or_closed_after_the_preview_must_be_previewed_again(panel, sandbox):
    client = logged_in(panel.app, panel.head)
    set_openid(client)
    job = new_job(client, panel.app)
    post(client, "preview/", id=job.id)
    post(client, "submit/", id=job.id)
    with panel.app.app_context():
        db.session.get(WealthProduct, job.product_id).yield_max_bp = 350
        db.session.commit()
    checker = reviewer(panel.app)
    response = post(checker, "approve/", id=job.id)
    assert "产品信息在预览后有变更" in checker.get(response.headers["Location"]).get_data(as_text=True)
    with panel.app.app_context():
        db.session.get(WealthProduct, job.product_id).status = STATUS_CLOSED
        db.session.commit()
    response = post(checker, "approve/", id=job.id)
    assert "只能群发在售的理财产品" in checker.get(response.headers["Location"]).get_data(as_text=True)
    assert records(sandbox, "mass_send") == []


def test_without_an_openid_there_is_no_preview_and_so_no_send(panel, sandbox):
    client = logged_in(panel.app, panel.head)
    job = new_job(client, panel.app)
    response = post(client, "preview/", id=job.id)
    assert "请先设置您本人的微信 openid" in client.get(response.headers["Location"]).get_data(as_text=True)
    post(client, "submit/", id=job.id)
    assert records(sandbox, "mass_preview") == [] and records(sandbox, "mass_send") == []
    bad = post(client, "openid/", openid="not an openid!")
    assert bad.status_code == 400 and "openid 格式不正确" in bad.get_data(as_text=True)
    with panel.app.app_context():
        staff = db.session.execute(select(StaffUser).where(StaffUser.username == panel.head)).scalar_one()
        assert staff.openid is None


def test_a_failed_preview_or_send_is_recorded_and_can_be_tried_again(panel, sandbox):
    client = logged_in(panel.app, panel.head)
    set_openid(client, "oNotFollowing000000000000001")  # unknown to WeChat: 40003
    job = new_job(client, panel.app)
    response = post(client, "preview/", id=job.id)
    assert "预览发送失败" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert jobs(panel.app)[0].previewed_at is None

    set_openid(client)
    post(client, "preview/", id=job.id)
    sandbox.state.faults = Faults(errcodes={45009: 1.0})
    checker = reviewer(panel.app)
    response = submit_and_approve(client, checker, job.id)
    assert "群发失败" in checker.get(response.headers["Location"]).get_data(as_text=True)
    assert jobs(panel.app)[0].sent_at is None
    sandbox.state.faults = Faults()
    post(checker, "approve/", id=job.id)  # approved already: the reviewer tries the send again
    assert len(records(sandbox, "mass_send")) == 1 and jobs(panel.app)[0].result == "ok"


def test_push_is_head_office_only_and_csrf_checked(panel, sandbox):
    head = logged_in(panel.app, panel.head)
    set_openid(head)
    job = new_job(head, panel.app)
    east = logged_in(panel.app, panel.east)
    for path in (PAGE, f"{PAGE}job/?id={job.id}"):
        assert east.get(path).status_code == 403, path
    token = csrf_of(east, "/admin/")
    for path in ("new/", "preview/", "submit/", "approve/", "reject/", "openid/"):
        assert east.post(PAGE + path, data={"csrf_token": token, "id": job.id}).status_code == 403, path
    assert head.post(PAGE + "preview/", data={"id": job.id}).status_code == 400
    assert head.post(PAGE + "submit/", data={"id": job.id}).status_code == 400
    assert head.post(PAGE + "approve/", data={"id": job.id}).status_code == 400
    assert head.get(f"{PAGE}job/?id=999999").status_code == 404
    assert records(sandbox, "mass_preview") == [] and records(sandbox, "mass_send") == []


def test_product_text_cannot_add_links_and_the_page_shows_the_message_as_wechat_does(panel, sandbox):
    with panel.app.app_context():
        product = db.session.get(WealthProduct, product_id(panel.app))
        product.name = '稳<a href="http://e.cn">点</a><script>'  # within the 40 characters of a name
        db.session.commit()
    client = logged_in(panel.app, panel.head)
    job = new_job(client, panel.app)
    assert "<a href=\"http://e.cn" not in job.content and "＜script＞" in job.content
    assert job.content.count("<a href=") == 1  # the product page's link only
    page = client.get(f"{PAGE}job/?id={job.id}").get_data(as_text=True)
    assert f'<a href="{sandbox.service_url}/h5/products/LC2026001" target="_blank" rel="noopener">查看产品详情</a>' \
        in page
    assert "<script>" not in page.split('data-testid="push-content"', 1)[1].split("</div>", 1)[0]
