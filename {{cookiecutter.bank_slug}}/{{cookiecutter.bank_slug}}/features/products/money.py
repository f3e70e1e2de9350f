"""Exact conversions for product figures: yuan text <-> integer fen, percent text <-> basis points.

Decimal only, never float: "3.15" % is exactly 315 bp, "1000.50" 元 exactly 100050 fen.
"""

import re
import unicodedata
from decimal import Decimal

from ...shared.i18n import _

MAX_INPUT_CHARS = 20
PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # ASCII digits, no sign, exponent or separators
GROUPED_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")  # 1,000,000.50


class FigureError(ValueError):
    """Text that is not an acceptable figure; `message` is the Chinese reason for the form."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _clean(text: str | None, unit_suffixes: tuple[str, ...]) -> str:
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    for suffix in unit_suffixes:
        if value.endswith(suffix):
            value = value[: -len(suffix)].strip()
    return value


def _decimal(value: str, what: str) -> Decimal:
    if len(value) > MAX_INPUT_CHARS:
        raise FigureError(_("%(what)s过长，请核对", what=what))
    if value.startswith("-"):
        raise FigureError(_("%(what)s不能为负数", what=what))
    if GROUPED_NUMBER.fullmatch(value):
        value = value.replace(",", "")
    if not PLAIN_NUMBER.fullmatch(value):
        raise FigureError(_("%(what)s格式不正确，请输入数字", what=what))
    number = Decimal(value)
    if number.as_tuple().exponent < -2:
        raise FigureError(_("%(what)s最多保留两位小数", what=what))
    return number


def yuan_to_fen(text: str | None, what: str | None = None) -> int:
    """"1000", "1,000.5", "1000.50元", "１０００" -> fen. Empty, negative, non-numeric or more than two decimals
    raise FigureError; the amount's bounds are the caller's to check."""
    what = what or _("金额")
    value = _clean(text, ("元",))
    if not value:
        raise FigureError(_("请输入%(what)s", what=what))
    return int(_decimal(value, what) * 100)


def percent_to_bp(text: str | None, what: str | None = None) -> int:
    """"2.8", "2.80", "2.80%", "２.８％" -> 280 bp. At most two decimals of a percent (whole basis points)."""
    what = what or _("收益率")
    value = _clean(text, ("%",))
    if not value:
        raise FigureError(_("请输入%(what)s", what=what))
    return int(_decimal(value, what) * 100)


def format_percent(bp: int) -> str:
    """280 -> "2.80%"."""
    sign = "-" if bp < 0 else ""
    whole, hundredths = divmod(abs(bp), 100)
    return f"{sign}{whole}.{hundredths:02d}%"


def format_yield_range(min_bp: int, max_bp: int) -> str:
    """(280, 320) -> "2.80%-3.20%"; one figure when both ends agree."""
    if min_bp == max_bp:
        return format_percent(min_bp)
    return f"{format_percent(min_bp)}-{format_percent(max_bp)}"


def format_yuan_amount(fen: int) -> str:
    """100 -> "1", 1_000_000 -> "10,000", 100_050 -> "1,000.50" (yuan, cents only when there are any)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}" + (f".{cents:02d}" if cents else "")


def percent_text(bp: int | None) -> str:
    """280 -> "2.80": the form's value for editing."""
    return "" if bp is None else format_percent(bp)[:-1]


def yuan_text(fen: int | None) -> str:
    """100050 -> "1000.50": the form's value for editing (no separators)."""
    if fen is None:
        return ""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}"
