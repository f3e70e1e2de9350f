"""Products in the admin panel: head office creates and edits with the products package's rules (form errors,
nothing stored), publishes and closes (audited), and previews the news reply exactly as the chat builds it."""

import html
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.products.models import (
    STATUS_CLOSED,
    STATUS_DRAFT,
    STATUS_ON_SALE,
    WealthProduct,
    bank_today,
    products_on_sale,
)
from {{ cookiecutter.bank_slug }}.features.products.news import news_articles

from ..product_support import add_product
from .conftest import csrf_of, logged_in

NEW = "/admin/products/new/"


def form_data(client, path=NEW, **fields) -> dict:
    with client.application.app_context():
        today = bank_today()
    data = {"csrf_token": csrf_of(client, path), "code": "LC2026101", "name": "稳盈 90 天", "risk_grade": "R2",
            "yield_min_percent": "2.80", "yield_max_percent": "3.20", "term_days": "90",
            "min_purchase_yuan": "1000", "sale_start": (today - timedelta(days=1)).isoformat(),
            "sale_end": (today + timedelta(days=30)).isoformat(), "status": STATUS_DRAFT,
            "description": "固定收益类理财产品。"}
    data.update(fields)
    return data


def products(app) -> list[WealthProduct]:
    with app.app_context():
        found = list(db.session.execute(select(WealthProduct).order_by(WealthProduct.id)).scalars())
        db.session.expunge_all()
        return found


def product_id(app, code: str) -> int:
    with app.app_context():
        return db.session.execute(select(WealthProduct.id).where(WealthProduct.code == code)).scalar_one()


def audits(app, target_type: str) -> list[AuditLog]:
    with app.app_context():
        rows = list(db.session.execute(select(AuditLog).where(AuditLog.target_type == target_type)
                                       .order_by(AuditLog.id)).scalars())
        db.session.expunge_all()
        return rows


def test_head_office_creates_a_product_with_exact_figures_audited(panel):
    client = logged_in(panel.app, panel.head)
    assert "产品代码" in client.get(NEW).get_data(as_text=True)
    response = client.post(NEW, data=form_data(client, code=" lc2026101 ", min_purchase_yuan="1,000.50"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [product] = products(panel.app)
    assert (product.code, product.yield_min_bp, product.yield_max_bp, product.min_purchase_fen, product.status) == (
        "LC2026101", 280, 320, 100_050, STATUS_DRAFT)
    [created] = audits(panel.app, "wealth_product")
    assert created.action == "create" and json.loads(created.after)["code"] == "LC2026101"
    listing = client.get("/admin/products/").get_data(as_text=True)
    assert "LC2026101" in listing and "2.80%-3.20%" in listing and "1,000.50" in listing


@pytest.mark.parametrize("fields,field_error", [
    ({"code": "lc-1"}, "产品代码应为 4 至 20 位"),
    ({"yield_min_percent": "25"}, "预期年化收益率应在"),
    ({"yield_min_percent": "4.00"}, "下限不能高于上限"),
    ({"yield_max_percent": "-1"}, "不能为负数"),
    ({"yield_max_percent": "abc"}, "格式不正确"),
    ({"term_days": "0"}, "产品期限应为"),
    ({"min_purchase_yuan": "0.5"}, "起购金额不能低于 1 元"),
    ({"sale_end": "2000-01-01"}, "不能早于开始日期"),
    ({"name": ""}, "请输入产品名称"),
    ({"risk_grade": "R9"}, "请选择风险等级"),
])
def test_bad_input_is_a_form_error_and_nothing_is_stored(panel, fields, field_error):
    client = logged_in(panel.app, panel.head)
    response = client.post(NEW, data=form_data(client, **fields))
    assert response.status_code == 200
    assert field_error in response.get_data(as_text=True)
    assert products(panel.app) == []
    assert audits(panel.app, "wealth_product") == []


def test_a_duplicate_code_is_refused_on_create_and_edit(panel):
    add_product(panel.app, "LC2026001")
    add_product(panel.app, "LC2026002")
    client = logged_in(panel.app, panel.head)
    response = client.post(NEW, data=form_data(client, code="lc2026001"))
    assert "产品代码已存在" in response.get_data(as_text=True)
    edit = f"/admin/products/edit/?id={product_id(panel.app, 'LC2026002')}"
    response = client.post(edit, data=form_data(client, edit, code="LC2026001"))
    assert "产品代码已存在" in response.get_data(as_text=True)
    assert sorted(p.code for p in products(panel.app)) == ["LC2026001", "LC2026002"]


def test_script_in_product_text_is_stored_as_typed_and_shown_escaped(panel):
    client = logged_in(panel.app, panel.head)
    script = "<script>alert('x')</script>"
    response = client.post(NEW, data=form_data(client, name="稳盈" + script[:20], description=script))
    assert response.status_code == 302
    [product] = products(panel.app)
    assert product.description == script
    for path in ("/admin/products/", f"/admin/products/details/?id={product.id}",
                 f"/admin/products/preview/?id={product.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(" not in page, path


def test_editing_a_product_records_before_and_after(panel):
    add_product(panel.app, "LC2026001", status=STATUS_DRAFT)
    pid = product_id(panel.app, "LC2026001")
    client = logged_in(panel.app, panel.head)
    edit = f"/admin/products/edit/?id={pid}"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="2.80"' in page and 'value="1000.00"' in page  # the figures in the units staff type
    response = client.post(edit, data=form_data(client, edit, code="LC2026001", yield_max_percent="3.50"))
    assert response.status_code == 302
    assert products(panel.app)[0].yield_max_bp == 350
    [update] = audits(panel.app, "wealth_product")
    assert json.loads(update.before)["yield_max_bp"] == 320 and json.loads(update.after)["yield_max_bp"] == 350


def test_publishing_from_the_preview_puts_the_product_in_the_news_reply(panel):
    add_product(panel.app, "LC2026001", status=STATUS_DRAFT, name="稳盈 90 天")
    pid = product_id(panel.app, "LC2026001")
    client = logged_in(panel.app, panel.head)
    preview = client.get(f"/admin/products/preview/?id={pid}").get_data(as_text=True)
    assert "此产品不在其中" in preview and 'data-testid="news-reply-text"' in preview
    with panel.app.app_context():
        product = db.session.get(WealthProduct, pid)
        [article] = news_articles([product], panel.app.config["PUBLIC_BASE_URL"])
    for part in ("title", "description", "url"):  # the same article the chat sends, drawn as a card
        assert article[part] in html.unescape(preview), part

    done = client.post("/admin/products/publish/", data={"csrf_token": csrf_of(client, "/admin/products/"),
                                                         "id": pid})
    assert done.status_code == 303
    with panel.app.app_context():
        assert [p.code for p in products_on_sale(bank_today())] == ["LC2026001"]
    preview = html.unescape(client.get(f"/admin/products/preview/?id={pid}").get_data(as_text=True))
    assert "此产品在其中" in preview and article["title"] in preview and article["url"] in preview
    [published] = audits(panel.app, "wealth_product")
    assert published.action == "publish" and json.loads(published.after)["status"] == STATUS_ON_SALE


def test_list_actions_publish_and_close(panel):
    add_product(panel.app, "LC2026001", status=STATUS_DRAFT)
    add_product(panel.app, "LC2026002", status=STATUS_ON_SALE)
    ids = [product_id(panel.app, "LC2026001"), product_id(panel.app, "LC2026002")]
    client = logged_in(panel.app, panel.head)
    token = csrf_of(client, "/admin/products/")
    client.post("/admin/products/action/", data={"csrf_token": token, "action": "publish", "rowid": ids})
    assert {p.status for p in products(panel.app)} == {STATUS_ON_SALE}
    client.post("/admin/products/action/", data={"csrf_token": token, "action": "close", "rowid": ids})
    assert {p.status for p in products(panel.app)} == {STATUS_CLOSED}
    assert [a.action for a in audits(panel.app, "wealth_product")] == ["publish", "close", "close"]


def test_products_are_head_office_only_never_deleted_and_csrf_checked(panel):
    add_product(panel.app, "LC2026001")
    pid = product_id(panel.app, "LC2026001")
    east = logged_in(panel.app, panel.east)
    for path in ("/admin/products/", NEW, f"/admin/products/edit/?id={pid}", f"/admin/products/preview/?id={pid}"):
        assert east.get(path).status_code == 403, path
    assert "/admin/products/" not in east.get("/admin/").get_data(as_text=True)
    head = logged_in(panel.app, panel.head)
    token = csrf_of(head, "/admin/products/")
    assert head.post("/admin/products/delete/", data={"csrf_token": token, "id": pid}).status_code == 403
    no_csrf = head.post(NEW, data={k: v for k, v in form_data(head, code="LC2026009").items() if k != "csrf_token"})
    assert no_csrf.status_code == 400
    assert head.get("/admin/products/preview/?id=999999").status_code == 404
    assert head.get("/admin/products/preview/?id=abc").status_code == 404
    with panel.app.app_context():
        assert db.session.execute(select(func.count()).select_from(WealthProduct)).scalar_one() == 1
