"""The public H5 product pages: the on-sale list and one product, in the bank's layout and colour, the
risk notice on every page, text escaped, and a Chinese 404 for anything not on sale."""

import time

import pytest

from {{ cookiecutter.bank_slug }}.features.products.models import RISK_NOTICE
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER

from ...product_support import add_product

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def app(make_app):
    return make_app(BRAND_COLOR="#c0392b", BANK_SHORT_NAME="测试银行", SERVICE_HOTLINE="96000")


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def test_the_list_is_public_and_shows_only_products_on_sale(app, client):
    add_product(app, "LC2026001", name="稳盈 90 天", min_purchase_fen=100_000)
    add_product(app, "LC2026002", start_offset=0, name="添鑫 180 天", yield_min_bp=290, yield_max_bp=340,
                term_days=180, risk_grade="R3")
    add_product(app, "DRAFT0001", name="草稿产品", status="draft")
    add_product(app, "CLOSED0001", name="停售产品", status="closed")
    add_product(app, "LATER0001", name="未开售产品", start_offset=3)
    html = page(client, "/h5/products")  # no OAuth redirect: public marketing
    assert RISK_NOTICE in html and 'data-testid="risk-notice"' in html
    assert "稳盈 90 天" in html and "添鑫 180 天" in html
    for hidden in ("草稿产品", "停售产品", "未开售产品", "DRAFT0001"):
        assert hidden not in html
    assert html.index("添鑫 180 天") < html.index("稳盈 90 天")  # newest sale window first
    assert "2.80%-3.20%" in html and "2.90%-3.40%" in html and "R3 中风险" in html
    assert "期限 180 天" in html and "1,000 元起购" in html
    assert 'href="/h5/products/LC2026001"' in html
    assert "#c0392b" in html and "测试银行" in html and "96000" in html  # the bank's layout and colour
    assert "h5/products.css" in html and "h5/h5.css" in html


def test_an_empty_list_says_so_with_the_notice(app, client):
    html = page(client, "/h5/products")
    assert "暂无在售理财产品" in html and RISK_NOTICE in html


def test_the_detail_page_shows_every_fact_and_the_notice(app, client):
    add_product(app, "LC2026001", name="稳盈 90 天", risk_grade="R2", min_purchase_fen=100_050,
                description="第一行\n第二行")
    html = page(client, "/h5/products/LC2026001")
    assert RISK_NOTICE in html and "稳盈 90 天" in html and "LC2026001" in html
    assert "2.80%-3.20%" in html and "R2 中低风险" in html and "适合稳健型及以上投资者" in html
    assert "90 天" in html and "1,000.50 元" in html and "在售" in html
    assert "第一行\n第二行" in html  # shown with white-space: pre-line, never as <br> markup from the text
    assert "96000" in html and "#c0392b" in html


def test_script_in_text_is_escaped_on_the_list_and_the_detail(app, client):
    add_product(app, "XSS00001", name="<b>稳盈</b><script>", description=SCRIPT + "<img src=x onerror=alert(1)>")
    for html in (page(client, "/h5/products"), page(client, "/h5/products/XSS00001")):
        assert "<script>" not in html and "<b>稳盈</b>" not in html and "<img src=x" not in html
        assert "&lt;b&gt;稳盈&lt;/b&gt;&lt;script&gt;" in html
    detail = page(client, "/h5/products/XSS00001")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in detail


@pytest.mark.parametrize("code,kwargs", [
    ("NOSUCH01", None),
    ("DRAFT0001", {"status": "draft"}),
    ("CLOSED0001", {"status": "closed"}),
    ("ENDED0001", {"start_offset": -10, "end_offset": -1}),
    ("LATER0001", {"start_offset": 1, "end_offset": 10}),
])
def test_anything_not_on_sale_is_a_chinese_404(app, client, code, kwargs):
    if kwargs is not None:
        add_product(app, code, name="不应显示", **kwargs)
    html = page(client, f"/h5/products/{code}", 404)
    assert "产品不存在或已停售" in html and "不应显示" not in html and RISK_NOTICE in html
    assert 'href="/h5/products"' in html


@pytest.mark.parametrize("path", ["/h5/products/lc2026001", "/h5/products/LC%3Cscript%3E", "/h5/products/" + "A" * 300])
def test_odd_codes_are_404_not_500(app, client, path):
    add_product(app, "LC2026001")
    html = page(client, path, 404)
    assert "产品不存在或已停售" in html and "<script>" not in html


def test_the_hall_lists_products_as_ready(app, client):
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": "oHall00000000000000000001", "at": int(time.time())}
    html = page(client, "/h5/")
    start = html.index('data-service="products"')
    assert "即将开通" not in html[start:html.index("</a>", start)]
