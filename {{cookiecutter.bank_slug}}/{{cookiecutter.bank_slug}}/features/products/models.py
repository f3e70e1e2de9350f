"""The wealth product table, its statuses and risk grades, and the on-sale query.

Money is integer fen, yields integer basis points (1 bp = 0.01 %), dates are the bank's local calendar
dates. The check constraints repeat the form's rules so nothing out of bounds is ever stored.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.i18n import _l
from ...shared.money import format_yield_range, format_yuan_compact, percent_text, yuan_text
from ...shared.timeutil import local_time, utcnow

# The notice regulators require next to every wealth product shown to the public.
RISK_NOTICE = "理财非存款、产品有风险、投资须谨慎"

STATUS_DRAFT = "draft"
STATUS_ON_SALE = "on_sale"
STATUS_CLOSED = "closed"
STATUSES = (STATUS_DRAFT, STATUS_ON_SALE, STATUS_CLOSED)
STATUS_LABELS = {STATUS_DRAFT: _l("草稿"), STATUS_ON_SALE: _l("在售"), STATUS_CLOSED: _l("已停售")}

RISK_GRADES = ("R1", "R2", "R3", "R4", "R5")
# The product's risk grade, as Chinese banks label it ...
RISK_LABELS = {"R1": _l("低风险"), "R2": _l("中低风险"), "R3": _l("中风险"), "R4": _l("中高风险"), "R5": _l("高风险")}
# ... and the investor risk profile it suits (谨慎型 ... 激进型).
RISK_INVESTORS = {"R1": _l("谨慎型"), "R2": _l("稳健型"), "R3": _l("平衡型"), "R4": _l("进取型"), "R5": _l("激进型")}

CODE_PATTERN = r"[A-Z0-9]{4,20}"
CODE_MAX = 20
NAME_MAX = 40
DESCRIPTION_MAX = 2000
YIELD_MIN_BP = 0
YIELD_MAX_BP = 2000  # 20.00 %: anything above is a typo, not a bank wealth product
TERM_MIN_DAYS = 1
TERM_MAX_DAYS = 3650
MIN_PURCHASE_FLOOR_FEN = 100  # 1 yuan
MIN_PURCHASE_CEILING_FEN = 100_000_000_000  # 10 亿元: far above any real threshold, far below any overflow


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WealthProduct(db.Model):
    __tablename__ = "wealth_product"
    __table_args__ = (
        CheckConstraint(_in("risk_grade", RISK_GRADES), name="risk_grade"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"yield_min_bp >= {YIELD_MIN_BP} AND yield_max_bp <= {YIELD_MAX_BP} "
                        "AND yield_min_bp <= yield_max_bp", name="yield_range"),
        CheckConstraint(f"term_days BETWEEN {TERM_MIN_DAYS} AND {TERM_MAX_DAYS}", name="term_days"),
        CheckConstraint(f"min_purchase_fen BETWEEN {MIN_PURCHASE_FLOOR_FEN} AND {MIN_PURCHASE_CEILING_FEN}",
                        name="min_purchase"),
        CheckConstraint("sale_start <= sale_end", name="sale_window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    risk_grade: Mapped[str] = mapped_column(String(2))
    yield_min_bp: Mapped[int] = mapped_column(Integer)
    yield_max_bp: Mapped[int] = mapped_column(Integer)
    term_days: Mapped[int] = mapped_column(Integer)
    min_purchase_fen: Mapped[int] = mapped_column(BigInteger)
    sale_start: Mapped[date] = mapped_column(Date)
    sale_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_DRAFT, index=True)
    description: Mapped[str] = mapped_column(Text, default="")  # plain text, always shown escaped
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    # The figures in the units staff type them (a form built with `obj=product` shows these).
    @property
    def yield_min_percent(self) -> str:
        return percent_text(self.yield_min_bp)

    @property
    def yield_max_percent(self) -> str:
        return percent_text(self.yield_max_bp)

    @property
    def min_purchase_yuan(self) -> str:
        return yuan_text(self.min_purchase_fen)

    @property
    def yield_range(self) -> str:
        """"2.80%-3.20%"."""
        return format_yield_range(self.yield_min_bp, self.yield_max_bp)

    @property
    def min_purchase_text(self) -> str:
        """"1,000" (yuan)."""
        return format_yuan_compact(self.min_purchase_fen)

    @property
    def risk_label(self) -> str:
        """"R2 中低风险"."""
        return f"{self.risk_grade} {RISK_LABELS.get(self.risk_grade, '')}".strip()

    @property
    def risk_investors(self) -> str:
        return str(RISK_INVESTORS.get(self.risk_grade, ""))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    def on_sale(self, today: date) -> bool:
        return self.status == STATUS_ON_SALE and self.sale_start <= today <= self.sale_end

    def __repr__(self) -> str:
        return f"<WealthProduct {self.code} {self.status}>"


def bank_today() -> date:
    """Today's date in the bank's time zone (sale windows are local calendar dates)."""
    return local_time(utcnow()).date()


def on_sale_query(today: date):
    return (
        select(WealthProduct)
        .where(WealthProduct.status == STATUS_ON_SALE, WealthProduct.sale_start <= today,
               WealthProduct.sale_end >= today)
        .order_by(WealthProduct.sale_start.desc(), WealthProduct.id)
    )


def products_on_sale(today: date, limit: int | None = None) -> list[WealthProduct]:
    """Products on sale on `today`: status on_sale and today inside the sale window, newest window first."""
    query = on_sale_query(today)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def product_on_sale(code: str, today: date) -> WealthProduct | None:
    """The on-sale product with this code, or None (unknown, draft, closed, or outside its window)."""
    return db.session.execute(on_sale_query(today).where(WealthProduct.code == code)).scalar_one_or_none()


class ProductView(db.Model):
    """One opening of a product's H5 page: the figures count them by product, and with the visitor's openid
    (when the H5 session knows it from 网页授权) the marketing feature's follow-up list finds the interested."""

    __tablename__ = "wealth_product_view"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("wealth_product.id"), index=True)
    openid: Mapped[str | None] = mapped_column(String(64), index=True)
    viewed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
