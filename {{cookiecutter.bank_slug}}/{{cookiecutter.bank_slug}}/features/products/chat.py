"""理财 / 理财产品 / the PRODUCTS menu key: a news (图文) reply of the wealth products on sale today.

The articles link to the public H5 pages (/h5/products/<code>); with nothing on sale a text reply says
so. Both carry the notice 理财非存款、产品有风险、投资须谨慎 (see news.py).
"""

from flask import current_app
from wechatpy.replies import ArticlesReply

from ...shared.i18n import _l
from .models import bank_today, products_on_sale
from .news import news_reply

MENU_KEY = "PRODUCTS"


def products_reply(message) -> ArticlesReply | str:
    config = current_app.config
    reply = news_reply(products_on_sale(bank_today()), config["PUBLIC_BASE_URL"], config["SERVICE_HOTLINE"])
    if isinstance(reply, str):
        return reply
    articles = [{"title": a["title"], "description": a["description"], "image": a["picurl"], "url": a["url"]}
                for a in reply]  # wechatpy names the picture "image"
    return ArticlesReply(message=message, articles=articles)


def register(router) -> None:
    router.text("理财", "理财产品", "在售理财", summary=_l("浏览在售理财产品"), order=400)(products_reply)
    router.click(MENU_KEY)(products_reply)
