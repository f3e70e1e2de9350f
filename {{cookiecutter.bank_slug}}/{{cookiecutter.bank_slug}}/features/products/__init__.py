"""Wealth products (理财产品): the catalogue staff maintain, the chat's 理财 news reply and the public H5 pages.

models.py holds the table and the on-sale query, forms.py every validation rule (shared with the admin panel),
news.py the WeChat news (图文) articles.
"""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="products",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("products", _l("理财产品"), _l("浏览在售理财产品"), _l("财")),),
    admin=(".admin",),
    seed_demo=(".demo:seed",),
)
