"""Product interest and consent: a follower who opened a product's page twice appears in their branch's
follow-up list only while they consent to marketing contact (given and revoked by the customer on the H5
page); other branches never see them; views without an identified visitor are counted but name nobody;
staff record the contact once, audited."""

import re
import time

from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.marketing.admin import row_key
from {{ cookiecutter.bank_slug }}.features.marketing.interest import follow_up_list
from {{ cookiecutter.bank_slug }}.features.marketing.models import Consent, FollowUp
from {{ cookiecutter.bank_slug }}.features.products.models import ProductView, WealthProduct
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER

from ...admin.conftest import csrf_of, logged_in
from .conftest import BOUND_EAST, QR_EAST

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FOLLOWUP = "/admin/marketing_followup/"


def customer(app, openid):
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}
    return client


def choose(client, choice):
    token = CSRF.search(client.get("/h5/marketing/consent").get_data(as_text=True)).group(1)
    return client.post("/h5/marketing/consent", data={"csrf_token": token, "choice": choice})


def listed(client) -> str:
    return client.get(FOLLOWUP).get_data(as_text=True)


def test_two_openings_list_the_customer_for_their_branch_only_while_they_consent(crowd):
    app = crowd.app
    visitor = customer(app, QR_EAST)  # unbound: their branch is the branch code they followed through (8801)
    assert visitor.get("/h5/products/LC2026501").status_code == 200
    assert visitor.get("/h5/products/LC2026501").status_code == 200
    assert app.test_client().get("/h5/products/LC2026501").status_code == 200  # anonymous: counted only
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProductView)) == 3
        assert follow_up_list("8801") == []  # no consent yet
    east, west, head = (logged_in(app, name) for name in ("east_op", "west_op", "hq_admin"))
    assert "oMkQ" not in listed(east)

    page = choose(visitor, "grant")
    assert page.status_code == 200 and "已同意营销联系" in page.get_data(as_text=True)
    assert choose(visitor, "grant").status_code == 200  # twice: one consent
    with app.app_context():
        [row] = follow_up_list("8801")
        assert (row.openid, row.product.code, row.views, row.card_mask) == (QR_EAST, "LC2026501", 2, None)
        assert follow_up_list("8802") == []
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 1
    east_page = listed(east)
    assert "LC2026501" in east_page and QR_EAST not in east_page  # the openid is masked
    assert "LC2026501" not in listed(west)
    assert "LC2026501" in listed(head)

    choose(visitor, "revoke")
    with app.app_context():
        assert follow_up_list("8801") == []
        consent = db.session.get(Consent, QR_EAST)
        assert consent.granted is False and consent.granted_at and consent.revoked_at
    assert "LC2026501" not in listed(east)


def test_one_opening_is_not_interest_and_bound_customers_go_to_their_binding_branch(crowd):
    app = crowd.app
    visitor = customer(app, BOUND_EAST)
    choose(visitor, "grant")
    visitor.get("/h5/products/LC2026501")
    visitor.get("/h5/products/LC2026502")
    with app.app_context():
        assert follow_up_list("8801") == []
    visitor.get("/h5/products/LC2026502")
    with app.app_context():
        [row] = follow_up_list("8801")
        assert row.product.code == "LC2026502" and row.card_mask == "6228 **** **** 0001"


def test_staff_record_the_contact_once_and_only_for_their_listed_customers(crowd):
    app = crowd.app
    visitor = customer(app, QR_EAST)
    choose(visitor, "grant")
    visitor.get("/h5/products/LC2026501")
    visitor.get("/h5/products/LC2026501")
    with app.app_context():
        product = db.session.execute(select(WealthProduct.id).where(WealthProduct.code == "LC2026501")).scalar_one()
    with app.test_request_context():
        key = row_key(QR_EAST, product)
    west = logged_in(app, "west_op")  # not their branch's customer: refused
    west.post(FOLLOWUP + "contacted/", data={"csrf_token": csrf_of(west, FOLLOWUP), "key": key})
    east = logged_in(app, "east_op")
    assert key in listed(east)
    for _ in range(2):
        response = east.post(FOLLOWUP + "contacted/", data={"csrf_token": csrf_of(east, FOLLOWUP), "key": key,
                                                            "note": "电话已联系"})
        assert response.status_code == 303
    with app.app_context():
        [done] = db.session.execute(select(FollowUp)).scalars()
        assert (done.contacted_by, done.note) == ("east_op", "电话已联系")
        [entry] = db.session.execute(select(AuditLog).where(AuditLog.target_type == "marketing_follow_up")).scalars()
        assert QR_EAST not in str(entry.after)
    assert "east_op 已于" in listed(east)


def test_the_consent_page_needs_a_customer_and_refuses_other_choices(crowd):
    app = crowd.app
    assert app.test_client().get("/h5/marketing/consent").status_code == 302  # to 网页授权
    visitor = customer(app, QR_EAST)
    response = choose(visitor, "maybe")
    assert response.status_code == 400 and "请选择同意或撤回" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Consent, QR_EAST) is None
