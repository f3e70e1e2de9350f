"""Creating and changing products outside a form (the admin panel, seed-demo): the same rules, all or nothing.

Also what other features use of products (the pushes feature sends products as news): the model, the
bank's today, the products on sale and their H5 links, the page views (marketing) (`__all__`)."""

from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...shared.i18n import _
from .forms import apply_values, code_taken, validate_product
from .models import ProductView, WealthProduct, bank_today, products_on_sale
from .news import product_url, risk_notice

__all__ = [
    "ProductInvalid", "ProductView", "WealthProduct", "bank_today", "product_url", "products_on_sale", "risk_notice",
    "save_product",
]


class ProductInvalid(ValueError):
    """The values break a rule; `errors` is {model field: Chinese message}. Nothing was stored."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def save_product(values: dict, product: WealthProduct | None = None) -> WealthProduct:
    """Validate `values` (model fields and units) and store them as a new product or onto `product`, committed.

    Raises ProductInvalid; a duplicate code lost to a concurrent save is reported like any duplicate."""
    existing_id = product.id if product is not None else None
    errors = validate_product(values, existing_id)
    if errors:
        raise ProductInvalid(errors)
    product = apply_values(product or WealthProduct(), values)
    db.session.add(product)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if code_taken(values["code"], existing_id):
            raise ProductInvalid({"code": _("产品代码已存在")}) from None
        raise
    return product
