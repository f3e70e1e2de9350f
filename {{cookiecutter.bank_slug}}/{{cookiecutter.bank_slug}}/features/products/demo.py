"""Demo wealth products for `flask seed-demo` (data in demo_data.py): two on sale, one draft, one closed.

Sale windows are relative to the day the command runs; a product whose code exists is left as it is."""

from datetime import date, timedelta

import click
from sqlalchemy import select

from ...extensions import db
from ...shared import demo_data
from .models import WealthProduct, bank_today
from .service import save_product


def seed_demo_products(today: date) -> list[tuple[WealthProduct, bool]]:
    """(product, added by this run) for every demo product; safe to run again."""
    seeded = []
    for code, name, grade, low, high, days, min_fen, (start, end), status, description in demo_data.PRODUCTS:
        product = db.session.execute(select(WealthProduct).where(WealthProduct.code == code)).scalar_one_or_none()
        added = product is None
        if added:
            product = save_product({
                "code": code, "name": name, "risk_grade": grade, "yield_min_bp": low, "yield_max_bp": high,
                "term_days": days, "min_purchase_fen": min_fen, "sale_start": today + timedelta(days=start),
                "sale_end": today + timedelta(days=end), "status": status, "description": description,
            })
        seeded.append((product, added))
    return seeded


def seed() -> None:
    """`flask seed-demo`: two products on sale, one draft and one closed (sale windows relative to today)."""
    products = seed_demo_products(bank_today())
    for product, added in products:
        if added:
            click.echo(f"  {product.code}  {product.name}  {product.status}  {product.yield_range}")
    added = sum(1 for _product, was_added in products if was_added)
    click.echo(f"演示理财产品已就绪：新增 {added} 款 Demo wealth products ready: {added} added.")
