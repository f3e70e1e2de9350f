"""理财 in the chat: a news (图文) reply of the products on sale through the real /wechat endpoint, at most
8 articles, the risk notice on every reply, plain text kept intact in the XML, and a text reply when
nothing is on sale."""

import re

import pytest

from {{ cookiecutter.bank_slug }}.features.products.models import RISK_NOTICE, WealthProduct
from {{ cookiecutter.bank_slug }}.features.products.news import MAX_ARTICLES, news_articles
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import event_message, text_message
from {{ cookiecutter.bank_slug }}.wechat.reply_xml import parse_reply

from ...helpers import next_msg_id, push
from ...product_support import add_product, product_values

pytestmark = pytest.mark.smoke

OPENID = "oProducts000000000000000001"
BASE_URL = "https://wx.bank.example.cn"
PRODUCT_URL = re.compile(re.escape(BASE_URL) + r"/h5/products/([A-Z0-9]{4,20})")


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_BASE_URL=BASE_URL, SERVICE_HOTLINE="96000", TIMEZONE="Asia/Shanghai")


def say(client, pusher, text: str) -> dict:
    response, reply = push(client, pusher, text_message(OPENID, text, next_msg_id()))
    assert response.status_code == 200
    return parse_reply(reply)


def click(client, pusher, key: str) -> dict:
    response, reply = push(client, pusher, event_message(OPENID, "CLICK", key))
    assert response.status_code == 200
    return parse_reply(reply)


def _product_codes(articles: list[dict]) -> list[str]:
    return [match.group(1) for a in articles if (match := PRODUCT_URL.fullmatch(a["url"]))]


def test_nine_on_sale_give_at_most_eight_articles_of_on_sale_products_only(app, client, pusher):
    on_sale = [f"LC2026{n:03d}" for n in range(1, 10)]
    for n, code in enumerate(on_sale):
        add_product(app, code, start_offset=-n, name=f"产品{n}", yield_min_bp=280 + n, yield_max_bp=320 + n)
    add_product(app, "DRAFT0001", status="draft")
    add_product(app, "CLOSED0001", status="closed")
    add_product(app, "ENDED0001", start_offset=-20, end_offset=-1)
    add_product(app, "LATER0001", start_offset=1, end_offset=20)

    reply = say(client, pusher, "理财")
    assert reply["type"] == "news"
    articles = reply["articles"]
    assert len(articles) <= MAX_ARTICLES == 8
    cover, products = articles[0], articles[1:]
    assert RISK_NOTICE in cover["title"] and RISK_NOTICE in cover["description"]
    assert cover["url"] == f"{BASE_URL}/h5/products" and "共 9 款" in cover["description"]
    codes = _product_codes(products)
    assert len(codes) == len(products) == 7 and set(codes) <= set(on_sale)
    assert codes == on_sale[:7]  # the newest sale windows first
    for article in products:
        assert RISK_NOTICE in article["description"]
        assert re.search(r"预期年化 \d+\.\d{2}%-\d+\.\d{2}%", article["description"])
        assert "R2 中低风险" in article["description"] and "期限 90 天" in article["description"]
        assert "1,000 元起购" in article["description"]
    assert "预期年化 2.80%-3.20%" in products[0]["description"] and products[0]["title"].startswith("产品0")


def test_the_menu_key_and_other_keywords_give_the_same_reply(app, client, pusher):
    add_product(app, "LC2026001")
    add_product(app, "LC2026002", start_offset=-2)
    by_text = say(client, pusher, "理财")
    assert by_text == click(client, pusher, "PRODUCTS") == say(client, pusher, " 理财产品 ")
    assert _product_codes(by_text["articles"]) == ["LC2026001", "LC2026002"]


def test_a_single_product_is_its_own_article(app, client, pusher):
    add_product(app, "LC2026001", name="稳盈 90 天", yield_min_bp=300, yield_max_bp=300, min_purchase_fen=100)
    reply = say(client, pusher, "理财")
    assert len(reply["articles"]) == 1
    article = reply["articles"][0]
    assert article["url"] == f"{BASE_URL}/h5/products/LC2026001"
    assert article["title"] == "稳盈 90 天｜预期年化 3.00%"
    assert article["description"] == f"预期年化 3.00%，R2 中低风险，期限 90 天，1 元起购。{RISK_NOTICE}"


def test_nothing_on_sale_is_an_explicit_text_reply(app, client, pusher):
    add_product(app, "DRAFT0001", status="draft")
    add_product(app, "CLOSED0001", status="closed")
    for reply in (say(client, pusher, "理财"), click(client, pusher, "PRODUCTS")):
        assert reply["type"] == "text"
        assert "暂无在售的理财产品" in reply["content"] and "96000" in reply["content"]
        assert RISK_NOTICE in reply["content"] and "即将开通" not in reply["content"]


def test_script_and_cdata_breakers_in_a_name_stay_plain_text(app, client, pusher):
    add_product(app, "XSS00001", name="<script>alert(1)</script>")
    add_product(app, "CDATA0001", start_offset=-2, name="稳盈]]><b>x</b>")
    reply = say(client, pusher, "理财")  # parse_reply would raise on broken XML
    titles = [article["title"] for article in reply["articles"]]
    assert "<script>alert(1)</script>｜预期年化 2.80%-3.20%" in titles  # text, never markup: WeChat shows it as is
    assert "稳盈]] ><b>x</b>｜预期年化 2.80%-3.20%" in titles


def test_help_lists_the_keyword(app, client, pusher):
    assert "「理财」浏览在售理财产品" in say(client, pusher, "帮助")["content"]


def test_news_articles_are_capped_and_join_the_base_url(app):
    products = [WealthProduct(**product_values(f"LC{n:05d}")) for n in range(20)]
    with app.app_context():
        articles = news_articles(products, BASE_URL + "/")
        assert len(articles) == MAX_ARTICLES
        assert articles[1]["url"] == f"{BASE_URL}/h5/products/LC00000"
        assert news_articles([], BASE_URL) == []
        assert len(news_articles(products[:1], BASE_URL)) == 1
        assert len(news_articles(products[:2], BASE_URL)) == 3  # overview + both
