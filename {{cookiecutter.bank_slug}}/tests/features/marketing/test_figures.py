"""Marketing figures: follows by day and by source, 群发 sent / filtered / failed from WeChat's reports,
product-page views by product; on the dashboard as charts, on the figures page as tables, exported as CSV
(with a BOM, and a product name that starts like a formula made harmless); head office only."""

import csv
import io

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.products.models import ProductView, WealthProduct
from {{ cookiecutter.bank_slug }}.features.pushes.models import MassPush
from {{ cookiecutter.bank_slug }}.features.qrcodes.models import QrScan
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import Follower, FollowEvent

from ...admin.conftest import logged_in
from .conftest import BOUND_WEST, NO_CODE, QR_EAST

PAGE = "/admin/marketing_figures/"


def seed(crowd):
    with crowd.app.app_context():
        followers = {f.openid: f.id for f in db.session.execute(select(Follower)).scalars()}
        now = utcnow()
        for openid in (QR_EAST, BOUND_WEST, NO_CODE):
            db.session.add(FollowEvent(follower_id=followers[openid], kind="subscribe", occurred_at=now))
        db.session.add(FollowEvent(follower_id=followers[NO_CODE], kind="unsubscribe", occurred_at=now))
        for scan in db.session.execute(select(QrScan)).scalars():
            scan.occurred_at = now
        product = db.session.execute(select(WealthProduct).where(WealthProduct.code == "LC2026501")).scalar_one()
        product.name = "=HYPERLINK(1)"
        db.session.add_all([ProductView(product_id=product.id, openid=QR_EAST),
                            ProductView(product_id=product.id, openid=QR_EAST),
                            ProductView(product_id=product.id, openid=None)])
        db.session.add(MassPush(product_id=product.id, target="all", content="x", created_by="hq_admin",
                                sent_at=now, result="ok", job_status="send success", total_count=10,
                                filter_count=8, sent_count=7, error_count=1))
        db.session.commit()


def rows_of(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_figures_page_and_its_csv_exports(crowd):
    seed(crowd)
    head = logged_in(crowd.app, "hq_admin")
    page = head.get(PAGE).get_data(as_text=True)
    assert "合计：送达 7，被过滤 2，失败 1" in page
    today = rows_of(head.get(PAGE + "follows.csv"))[0]  # latest first
    assert (today["follows"], today["unfollows"], today["via_branch"], today["via_campaign"], today["via_none"]) == \
        ("3", "1", "1", "1", "1")
    [job] = rows_of(head.get(PAGE + "mass.csv"))
    assert (job["total"], job["sent"], job["filtered"], job["failed"]) == ("10", "7", "2", "1")
    [views] = rows_of(head.get(PAGE + "product_views.csv"))
    assert (views["views"], views["identified_visitors"]) == ("3", "1")
    assert views["name"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert head.get(PAGE + "secrets.csv").status_code == 404
    assert logged_in(crowd.app, "east_op").get(PAGE + "mass.csv").status_code == 403


def test_the_dashboard_shows_the_charts(crowd):
    seed(crowd)
    page = logged_in(crowd.app, "hq_admin").get("/admin/").get_data(as_text=True)
    assert 'data-testid="follows-chart"' in page and 'data-testid="product-views-chart"' in page
    assert 'data-testid="mass-sent"' in page
    branch = logged_in(crowd.app, "east_op").get("/admin/").get_data(as_text=True)
    assert 'data-testid="followups-waiting"' in branch and 'data-testid="mass-sent"' not in branch
