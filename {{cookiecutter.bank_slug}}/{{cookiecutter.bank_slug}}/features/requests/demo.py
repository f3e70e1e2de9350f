"""`flask seed-demo`: the demo's loan products and weekly card-opening slots at every open branch (营业网点),
Monday to Saturday 09:00-10:00, 10:00-11:00 and 14:00-15:00, four places each. Run again, it adds nothing."""

from sqlalchemy import select

from ...core_banking.models import Branch
from ...extensions import db
from ..branches.service import KIND_BRANCH
from .models import AppointmentSlot, RequestProduct

DEMO_PRODUCTS = (("个人消费贷款", 1_000_000, 30_000_000, 36), ("个人经营贷款", 5_000_000, 100_000_000, 60),
                 ("个人住房贷款", 10_000_000, 500_000_000, 360))
DEMO_SLOTS = (("09:00", "10:00"), ("10:00", "11:00"), ("14:00", "15:00"))
DEMO_CAPACITY = 4


def seed() -> None:
    if db.session.scalar(select(RequestProduct.id).limit(1)) is None:
        for order, (name, low, high, months) in enumerate(DEMO_PRODUCTS):
            db.session.add(RequestProduct(name=name, min_fen=low, max_fen=high, max_term_months=months,
                                          sort_order=order))
    if db.session.scalar(select(AppointmentSlot.id).limit(1)) is None:
        branches = db.session.scalars(select(Branch.code).where(Branch.closed_at.is_(None),
                                                                Branch.kind == KIND_BRANCH))
        for code in branches:
            for weekday in range(6):
                for starts, ends in DEMO_SLOTS:
                    db.session.add(AppointmentSlot(branch_code=code, weekday=weekday, starts=starts, ends=ends,
                                                   capacity=DEMO_CAPACITY))
    db.session.commit()
