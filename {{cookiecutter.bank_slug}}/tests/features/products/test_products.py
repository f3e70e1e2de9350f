"""Wealth products: every rule (Chinese messages, nothing stored on bad input), the form's figures read exactly
(the readers themselves: test_money.py), the on-sale query, the database's own checks, and the demo products."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.products.forms import ProductForm, clean_product_input, validate_product
from {{ cookiecutter.bank_slug }}.features.products.models import (
    RISK_NOTICE,
    WealthProduct,
    bank_today,
    products_on_sale,
)
from {{ cookiecutter.bank_slug }}.features.products.service import ProductInvalid, save_product

from ...product_support import add_product, product_values


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=False)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WealthProduct))


def test_the_risk_notice_is_the_regulators_wording():
    assert RISK_NOTICE == "理财非存款、产品有风险、投资须谨慎"


# -- the rules ----------------------------------------------------------------------------------------
def test_good_values_break_no_rule(app):
    with app.app_context():
        assert validate_product(product_values()) == {}


@pytest.mark.parametrize("overrides,field,message", [
    ({"code": ""}, "code", "请输入产品代码"),
    ({"code": "ab12"}, "code", "大写英文字母或数字"),
    ({"code": "LC1"}, "code", "4 至 20 位"),
    ({"code": "L" * 21}, "code", "4 至 20 位"),
    ({"code": "LC-2026"}, "code", "4 至 20 位"),
    ({"name": ""}, "name", "请输入产品名称"),
    ({"name": "稳" * 41}, "name", "不能超过 40 个字"),
    ({"name": "稳盈\x00"}, "name", "控制字符"),
    ({"risk_grade": "R6"}, "risk_grade", "R1 至 R5"),
    ({"yield_min_bp": -1}, "yield_min_bp", "0.00% 至 20.00% 之间"),
    ({"yield_max_bp": 2001}, "yield_max_bp", "0.00% 至 20.00% 之间"),
    ({"yield_min_bp": 5000, "yield_max_bp": 9000}, "yield_max_bp", "0.00% 至 20.00% 之间"),
    ({"yield_min_bp": 350, "yield_max_bp": 320}, "yield_min_bp", "下限不能高于上限"),
    ({"yield_min_bp": "2.8"}, "yield_min_bp", "请输入预期年化收益率"),
    ({"yield_min_bp": True}, "yield_min_bp", "请输入预期年化收益率"),
    ({"term_days": 0}, "term_days", "1 至 3650 天"),
    ({"term_days": 3651}, "term_days", "1 至 3650 天"),
    ({"min_purchase_fen": 0}, "min_purchase_fen", "不能低于 1 元"),
    ({"min_purchase_fen": -100}, "min_purchase_fen", "不能低于 1 元"),
    ({"min_purchase_fen": 99}, "min_purchase_fen", "不能低于 1 元"),
    ({"min_purchase_fen": 10**15}, "min_purchase_fen", "过大"),
    ({"sale_start": date(2026, 3, 2), "sale_end": date(2026, 3, 1)}, "sale_end", "结束日期不能早于开始日期"),
    ({"sale_start": None}, "sale_start", "请选择销售日期"),
    ({"sale_end": date(1999, 1, 1)}, "sale_end", "超出合理范围"),
    ({"status": "published"}, "status", "请选择产品状态"),
    ({"description": "说" * 2001}, "description", "不能超过 2000 个字"),
])
def test_each_broken_rule_has_a_chinese_reason(app, overrides, field, message):
    with app.app_context():
        errors = validate_product(product_values(**overrides))
    assert message in errors[field], errors


def test_one_day_window_and_equal_yields_are_allowed(app):
    with app.app_context():
        day = date(2026, 5, 1)
        assert validate_product(product_values(sale_start=day, sale_end=day, yield_min_bp=300, yield_max_bp=300,
                                               min_purchase_fen=100, term_days=1)) == {}


def test_a_duplicate_code_is_refused_but_an_edit_keeps_its_own(app):
    with app.app_context():
        product = save_product(product_values("LC2026001"))
        assert validate_product(product_values("LC2026001"))["code"] == "产品代码已存在"
        assert validate_product(product_values("LC2026001"), existing_id=product.id) == {}
        with pytest.raises(ProductInvalid) as caught:
            save_product(product_values("LC2026001", name="另一款"))
        assert caught.value.errors == {"code": "产品代码已存在"}
    assert _count(app) == 1


def test_nothing_is_stored_when_a_rule_is_broken(app):
    with app.app_context():
        for overrides in ({"yield_min_bp": 500, "yield_max_bp": 300}, {"min_purchase_fen": 0},
                          {"sale_end": date(2026, 2, 1)}, {"yield_max_bp": 2500}):
            with pytest.raises(ProductInvalid):
                save_product(product_values(**overrides))
    assert _count(app) == 0


@pytest.mark.parametrize("overrides", [
    {"yield_min_bp": 500, "yield_max_bp": 300}, {"yield_max_bp": 2001}, {"min_purchase_fen": 0},
    {"term_days": 0}, {"risk_grade": "R9"}, {"status": "gone"},
    {"sale_start": date(2026, 3, 2), "sale_end": date(2026, 3, 1)},
])
def test_the_database_refuses_what_the_rules_refuse(app, overrides):
    """Defence in depth: even code that skips validate_product cannot store an out-of-bounds product."""
    with app.app_context():
        db.session.add(WealthProduct(**product_values(**overrides)))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert _count(app) == 0


def test_script_in_text_is_kept_as_plain_text(app):
    """Nothing to strip or refuse: the text is stored as typed and every page and reply escapes it."""
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with app.app_context():
        product = save_product(product_values(name="<b>稳盈</b><script>", description=script))
        assert product.name == "<b>稳盈</b><script>" and product.description == script


# -- what staff type ---------------------------------------------------------------------------------
FORM_INPUT = {
    "code": " lc2026001 ", "name": "  稳盈   90 天 ", "risk_grade": "R2", "yield_min_percent": "2.80",
    "yield_max_percent": "3.2%", "term_days": "90", "min_purchase_yuan": "1,000.50", "sale_start": "2026-03-01",
    "sale_end": "2026-03-31", "status": "on_sale", "description": "第一行\r\n第二行  ",
}


def test_form_input_becomes_exact_model_values(app):
    values, errors = clean_product_input(FORM_INPUT)
    assert errors == {}
    assert values == {
        "code": "LC2026001", "name": "稳盈 90 天", "risk_grade": "R2", "yield_min_bp": 280, "yield_max_bp": 320,
        "term_days": 90, "min_purchase_fen": 100_050, "sale_start": date(2026, 3, 1), "sale_end": date(2026, 3, 31),
        "status": "on_sale", "description": "第一行\n第二行",
    }


def _form(app, **changes):
    data = MultiDict({**FORM_INPUT, **changes})
    with app.test_request_context(method="POST", data=data):
        form = ProductForm()
        valid = form.validate()
        return form, valid


def test_the_form_creates_a_product(app):
    with app.test_request_context(method="POST", data=MultiDict(FORM_INPUT)):
        form = ProductForm()
        assert form.validate(), form.errors
        product = WealthProduct()
        form.populate_obj(product)
        db.session.add(product)
        db.session.commit()
        assert (product.code, product.yield_min_bp, product.yield_max_bp, product.min_purchase_fen) == \
            ("LC2026001", 280, 320, 100_050)


@pytest.mark.parametrize("changes,field,message", [
    ({"yield_min_percent": "25"}, "yield_min_percent", "0.00% 至 20.00% 之间"),
    ({"yield_max_percent": "-1"}, "yield_max_percent", "不能为负数"),
    ({"yield_min_percent": "3.50", "yield_max_percent": "3.20"}, "yield_min_percent", "下限不能高于上限"),
    ({"yield_min_percent": "2.805"}, "yield_min_percent", "最多保留两位小数"),
    ({"yield_min_percent": "abc"}, "yield_min_percent", "格式不正确"),
    ({"min_purchase_yuan": "0"}, "min_purchase_yuan", "不能低于 1 元"),
    ({"min_purchase_yuan": "-5"}, "min_purchase_yuan", "不能为负数"),
    ({"min_purchase_yuan": "0.99"}, "min_purchase_yuan", "不能低于 1 元"),
    ({"min_purchase_yuan": "100.001"}, "min_purchase_yuan", "最多保留两位小数"),
    ({"min_purchase_yuan": ""}, "min_purchase_yuan", "请输入起购金额"),
    ({"term_days": "九十"}, "term_days", "整数天数"),
    ({"term_days": "0"}, "term_days", "1 至 3650 天"),
    ({"sale_start": "2026-04-01"}, "sale_end", "结束日期不能早于开始日期"),
    ({"sale_start": "2026/13/01"}, "sale_start", "年-月-日"),
    ({"risk_grade": "R0"}, "risk_grade", "R1 至 R5"),
    ({"status": "hacked"}, "status", "请选择产品状态"),
    ({"code": "产品一"}, "code", "大写英文字母或数字"),
])
def test_form_errors_are_chinese_and_on_the_right_field(app, changes, field, message):
    form, valid = _form(app, **changes)
    assert not valid and not form.values
    assert any(message in error for error in form[field].errors), form.errors


def test_the_form_reports_a_duplicate_code_and_an_edit_keeps_its_own(app):
    with app.app_context():
        product = save_product(product_values("LC2026001"))
        product_id = product.id
    form, valid = _form(app)
    assert not valid and form.code.errors == ["产品代码已存在"]
    with app.test_request_context(method="POST", data=MultiDict({**FORM_INPUT, "name": "改名"})):
        product = db.session.get(WealthProduct, product_id)
        form = ProductForm(obj=product)  # as Flask-Admin's edit view builds it
        assert form.existing_id == product_id
        assert form.validate(), form.errors
        form.populate_obj(product)
        db.session.commit()
        assert product.name == "改名"
    assert _count(app) == 1


def test_an_edit_form_shows_the_figures_as_staff_typed_them(app):
    with app.test_request_context():
        product = save_product(product_values(yield_min_bp=285, min_purchase_fen=100_050))
        form = ProductForm(formdata=None, obj=product)
        assert form.yield_min_percent.data == "2.85" and form.yield_max_percent.data == "3.20"
        assert form.min_purchase_yuan.data == "1000.50" and form.sale_start._value() == "2026-03-01"


# -- on sale -------------------------------------------------------------------------------------------
def test_on_sale_means_status_and_window(app):
    add_product(app, "ONSALE01", start_offset=-5, end_offset=5)
    add_product(app, "ONSALE02", start_offset=0, end_offset=0)  # the window's first and last day: today
    add_product(app, "ONSALE03", start_offset=-30, end_offset=0)
    add_product(app, "DRAFT001", status="draft")
    add_product(app, "CLOSED01", status="closed")
    add_product(app, "LATER001", start_offset=1, end_offset=9)
    add_product(app, "ENDED001", start_offset=-9, end_offset=-1)
    with app.app_context():
        today = bank_today()
        codes = [product.code for product in products_on_sale(today)]
        assert codes == ["ONSALE02", "ONSALE01", "ONSALE03"]  # newest sale window first
        assert [p.code for p in products_on_sale(today + timedelta(days=1))] == ["LATER001", "ONSALE01"]
        assert len(products_on_sale(today, limit=2)) == 2


# -- demo data -----------------------------------------------------------------------------------------
def test_seed_demo_adds_four_products_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "新增 4 款" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "新增 0 款" in second.output
    with app.app_context():
        products = db.session.scalars(select(WealthProduct)).all()
        assert sorted(p.status for p in products) == ["closed", "draft", "on_sale", "on_sale"]
        assert len(products_on_sale(bank_today())) == 2
        for product in products:
            assert validate_product({c.name: getattr(product, c.name) for c in WealthProduct.__table__.columns},
                                    existing_id=product.id) == {}
