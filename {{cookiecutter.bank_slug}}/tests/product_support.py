"""Wealth products for the product tests: valid values, and products stored directly."""

from datetime import date, timedelta

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.products.models import STATUS_ON_SALE, WealthProduct, bank_today


def product_values(code: str = "LC2026001", **overrides) -> dict:
    """Values (the model's fields and units) that break no rule."""
    today = date(2026, 3, 1)
    values = {
        "code": code, "name": "稳盈 90 天", "risk_grade": "R2", "yield_min_bp": 280, "yield_max_bp": 320,
        "term_days": 90, "min_purchase_fen": 100_000, "sale_start": today, "sale_end": today + timedelta(days=30),
        "status": STATUS_ON_SALE, "description": "固定收益类理财产品。",
    }
    values.update(overrides)
    return values


def add_product(app, code: str, start_offset: int = -1, end_offset: int = 10, **overrides) -> None:
    """A product stored as is (no validation), its sale window relative to the bank's today."""
    with app.app_context():
        today = bank_today()
        values = product_values(code, sale_start=today + timedelta(days=start_offset),
                                sale_end=today + timedelta(days=end_offset), **overrides)
        db.session.add(WealthProduct(**values))
        db.session.commit()
