"""The WeChat news (图文) reply for the products on sale, also what the admin panel previews.

WeChat takes at most 8 articles in a news reply and, answering a text message, shows only the first;
answering a menu click it lists them all but shows only the titles. So with two or more products the
first article is an overview (the risk notice in its title, the H5 list as its link), followed by up
to seven products; a single product is its own article. No product on sale: a text reply says so.
Product text goes out as plain text: the XML's CDATA is kept well-formed whatever staff typed.
"""

import unicodedata

from ...shared.i18n import _
from .models import RISK_NOTICE, WealthProduct

MAX_ARTICLES = 8  # WeChat's limit for one news reply
COVER_PICURL = ""  # no picture: WeChat shows the title alone


def risk_notice() -> str:
    """The mandatory notice, 理财非存款、产品有风险、投资须谨慎, in the reader's language."""
    text = _("理财非存款、产品有风险、投资须谨慎")
    return text or RISK_NOTICE


def list_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/h5/products"


def product_url(base_url: str, code: str) -> str:
    return f"{list_url(base_url)}/{code}"


def plain(text: str) -> str:
    """Text safe inside the reply's CDATA: no control characters, no "]]>" that would end the section."""
    cleaned = "".join(" " if unicodedata.category(char) == "Cc" else char for char in str(text or ""))
    return cleaned.replace("]]>", "]] >")


def product_summary(product: WealthProduct) -> str:
    """"预期年化 2.80%-3.20%，R2 中低风险，期限 90 天，1,000 元起购。" (figures from integers, no float)."""
    return _("预期年化 %(yields)s，%(risk)s，期限 %(days)s 天，%(amount)s 元起购。", yields=product.yield_range,
             risk=product.risk_label, days=product.term_days, amount=product.min_purchase_text)


def product_article(product: WealthProduct, base_url: str) -> dict:
    return {
        "title": plain(_("%(name)s｜预期年化 %(yields)s", name=product.name, yields=product.yield_range)),
        "description": plain(product_summary(product) + risk_notice()),
        "picurl": "",
        "url": product_url(base_url, product.code),
    }


def cover_article(count: int, base_url: str) -> dict:
    return {
        "title": _("在售理财产品 · %(notice)s", notice=risk_notice()),
        "description": _("共 %(count)s 款产品在售，点击查看全部。预期收益率不代表实际收益。%(notice)s", count=count,
                         notice=risk_notice()),
        "picurl": COVER_PICURL,
        "url": list_url(base_url),
    }


def news_articles(products: list[WealthProduct], base_url: str) -> list[dict]:
    """Articles ({title, description, picurl, url}) for `products` (already the ones on sale, in order):
    at most MAX_ARTICLES; [] when there are none."""
    products = list(products)
    if len(products) <= 1:
        return [product_article(product, base_url) for product in products]
    shown = products[: MAX_ARTICLES - 1]
    return [cover_article(len(products), base_url)] + [product_article(product, base_url) for product in shown]


def no_products_text(hotline: str) -> str:
    return _("目前暂无在售的理财产品，敬请关注。如需咨询，请致电客服热线 %(hotline)s。\n%(notice)s", hotline=hotline,
             notice=risk_notice())


def news_reply(products: list[WealthProduct], base_url: str, hotline: str) -> list[dict] | str:
    """What 理财 answers: the articles, or the text saying nothing is on sale."""
    articles = news_articles(products, base_url)
    return articles or no_products_text(hotline)
