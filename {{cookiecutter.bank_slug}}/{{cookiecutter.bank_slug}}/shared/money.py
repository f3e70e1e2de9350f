"""Money and rates, exactly: yuan text <-> integer fen, percent text <-> integer basis points, never through float.

The one place that reads and writes amounts. Reading (`parse_yuan`, `parse_percent`) takes ASCII digits after
NFKC (so full-width "１２３．４５" is read, Arabic-Indic "١٢٣" is not), at most two decimals, no sign, exponent,
underscore or spaces inside, and refuses each bad input with its own Chinese reason (AmountError.message).
Writing gives the forms the replies and pages use: "1,234.56", "¥1,234.56" / "-¥5.00", "1,000.50" / "10,000",
"2.80%", and the separator-free "1000.50" / "2.80" for editing. `register_filters` gives the Jinja templates
`yuan`, `signed_yuan` and `percent`; the app factory calls it once. No Flask import here beyond the translations.
"""

import re
import unicodedata

from .i18n import _

MAX_INPUT_CHARS = 16  # after the unit and any thousands separators are taken off
MAX_WHOLE_DIGITS = 12  # up to 999,999,999,999 yuan: far above any limit, far below any overflow
MAX_FEN = 10**MAX_WHOLE_DIGITS * 100 - 1
PLAIN = re.compile(r"([0-9]+)(?:\.([0-9]+))?")  # ASCII digits only (\d would take other scripts)
GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")  # 1,000,000.50


class AmountError(ValueError):
    """The text is not a figure the service accepts; `message` is for the customer's or staff's page (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- reading ------------------------------------------------------------------------------------------
def parse_yuan(text: str | None, what: str | None = None, *, allow_zero: bool = False,
               grouping: bool = False) -> int:
    """"100", "100.5", "100.50元", "０.０１" (and "1,000.50" with `grouping`) -> fen. `what` names the figure in the
    reasons (default 金额); zero is refused unless `allow_zero`; the caller checks its own bounds."""
    what = what or _("金额")
    value = _clean(text, "元", grouping)
    fen = _hundredths(value, what, unit="元")
    if fen == 0 and not allow_zero:
        raise AmountError(_("%(what)s必须大于 0", what=what))
    return fen


def parse_percent(text: str | None, what: str | None = None) -> int:
    """"2.8", "2.80", "2.80%", "２.８％" -> 280 basis points (whole basis points: at most two decimals). Zero is
    a rate; the caller checks its own bounds."""
    return _hundredths(_clean(text, "%", grouping=False), what or _("收益率"), unit="%")


def _clean(text: str | None, unit: str, grouping: bool) -> str:
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    if value.endswith(unit):
        value = value[: -len(unit)].strip()
    if grouping and GROUPED.fullmatch(value):
        value = value.replace(",", "")
    return value


def _hundredths(value: str, what: str, unit: str) -> int:
    """Plain decimal text -> an integer count of hundredths, or the reason it is not one."""
    if not value:
        raise AmountError(_("请输入%(what)s", what=what))
    if len(value) > MAX_INPUT_CHARS:
        raise AmountError(_("%(what)s过长，请核对", what=what))
    if value.startswith("-"):
        raise AmountError(_("%(what)s不能为负数", what=what))
    match = PLAIN.fullmatch(value)
    if match is None:
        raise AmountError(_bad_format(what, unit))
    whole, fraction = match.group(1).lstrip("0") or "0", match.group(2) or ""
    if len(fraction) > 2:
        raise AmountError(_too_precise(what, unit))
    if len(whole) > MAX_WHOLE_DIGITS:
        raise AmountError(_("%(what)s过大，请核对", what=what))
    return int(whole) * 100 + int(fraction.ljust(2, "0"))


def _bad_format(what: str, unit: str) -> str:
    if unit == "%":
        return _("%(what)s格式不正确，请输入数字", what=what)
    return _("%(what)s格式不正确，请输入数字，如 100 或 100.50", what=what)


def _too_precise(what: str, unit: str) -> str:
    if unit == "%":
        return _("%(what)s最多保留两位小数", what=what)
    return _("%(what)s最多保留两位小数（精确到分）", what=what)


# -- writing ------------------------------------------------------------------------------------------
def _parts(hundredths: int) -> tuple[str, int, int]:
    whole, cents = divmod(abs(int(hundredths)), 100)
    return ("-" if hundredths < 0 else ""), whole, cents


def format_yuan(fen: int) -> str:
    """12345678 -> "123,456.78"; -1050 -> "-10.50"."""
    sign, whole, cents = _parts(fen)
    return f"{sign}{whole:,}.{cents:02d}"


def format_cny(fen: int) -> str:
    """123456 -> "¥1,234.56"; -500 -> "-¥5.00" (the chat replies' form)."""
    return f"{'-' if fen < 0 else ''}¥{format_yuan(abs(fen))}"


def format_signed_yuan(fen: int) -> str:
    """A movement of money: 100 -> "+¥ 1.00", -12345 -> "-¥ 123.45", 0 -> "¥ 0.00" (the H5 pages' form)."""
    sign = "+" if fen > 0 else "-" if fen < 0 else ""
    return f"{sign}¥ {format_yuan(abs(fen))}"


def format_yuan_compact(fen: int) -> str:
    """100 -> "1", 1_000_000 -> "10,000", 100_050 -> "1,000.50" (cents only when there are any)."""
    sign, whole, cents = _parts(fen)
    return f"{sign}{whole:,}" + (f".{cents:02d}" if cents else "")


def yuan_text(fen: int | None) -> str:
    """100050 -> "1000.50": no separators, for a form's value and for WeChat's amount keyword; None -> ""."""
    if fen is None:
        return ""
    sign, whole, cents = _parts(fen)
    return f"{sign}{whole}.{cents:02d}"


def format_percent(bp: int) -> str:
    """280 -> "2.80%"."""
    return f"{percent_text(bp)}%"


def percent_text(bp: int | None) -> str:
    """280 -> "2.80": a form's value for editing; None -> ""."""
    if bp is None:
        return ""
    sign, whole, hundredths = _parts(bp)
    return f"{sign}{whole}.{hundredths:02d}"


def format_yield_range(min_bp: int, max_bp: int) -> str:
    """(280, 320) -> "2.80%-3.20%"; one figure when both ends agree."""
    if min_bp == max_bp:
        return format_percent(min_bp)
    return f"{format_percent(min_bp)}-{format_percent(max_bp)}"


# -- templates ----------------------------------------------------------------------------------------
FILTERS = {"yuan": format_yuan, "signed_yuan": format_signed_yuan, "percent": format_percent}


def register_filters(app) -> None:
    """`fen|yuan`, `fen|signed_yuan` and `bp|percent` in every template; called once, by the app factory."""
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
