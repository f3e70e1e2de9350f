"""/h5/products (the wealth products on sale) and /h5/products/<code> (one product).

Public marketing pages: no OAuth, nothing about the visitor is shown. A product is visible only while
it is on sale (status on_sale and today inside its sale window); anything else is a Chinese 404.
Names and descriptions are plain text, escaped by the templates.
"""

import re

from flask import Blueprint, render_template

from ...extensions import db
from ...h5.oauth import current_openid
from .models import CODE_PATTERN, ProductView, bank_today, product_on_sale, products_on_sale
from .news import risk_notice

bp = Blueprint("products", __name__, url_prefix="/products")

CODE = re.compile(CODE_PATTERN)


@bp.get("")
def product_list():
    today = bank_today()
    return render_template("h5/products/list.html", products=products_on_sale(today), today=today,
                           risk_notice=risk_notice())


@bp.get("/<code>")
def product_detail(code: str):
    product = product_on_sale(code, bank_today()) if CODE.fullmatch(code) else None
    if product is None:
        return render_template("h5/products/not_found.html", risk_notice=risk_notice()), 404
    record_view(product.id)
    return render_template("h5/products/detail.html", product=product, risk_notice=risk_notice())


def record_view(product_id: int) -> None:
    """Count the opening (with the openid when the H5 session identified the customer); never breaks the page."""
    try:
        db.session.add(ProductView(product_id=product_id, openid=current_openid()))
        db.session.commit()
    except Exception:  # a lost count must not cost the customer the page
        db.session.rollback()
