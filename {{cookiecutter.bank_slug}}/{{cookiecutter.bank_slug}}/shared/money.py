"""Money the customer types (yuan, as text) to integer fen and back, exactly: never through float."""

import re
import unicodedata

from .i18n import _

MAX_INPUT_CHARS = 16
MAX_WHOLE_DIGITS = 12  # up to 999,999,999,999 yuan: far above any limit, far below any overflow
AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]+))?")  # ASCII digits only (\\d would take other scripts)


class AmountError(ValueError):
    """The text is not an amount the service accepts; `message` is for the customer's page (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_yuan(text: str | None) -> int:
    """"100", "100.5", "100.50", "０.０１" -> fen. Refuses negatives, zero, more than two decimals,
    exponents, separators and absurd lengths, each with its own Chinese reason."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if value.endswith("元"):
        value = value[:-1].strip()
    if not value:
        raise AmountError(_("请输入转账金额"))
    if len(value) > MAX_INPUT_CHARS:
        raise AmountError(_("转账金额过长，请核对"))
    if value.startswith("-"):
        raise AmountError(_("转账金额不能为负数"))
    match = AMOUNT.fullmatch(value)
    if match is None:
        raise AmountError(_("转账金额格式不正确，请输入数字，如 100 或 100.50"))
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > 2:
        raise AmountError(_("转账金额最多保留两位小数（精确到分）"))
    whole = whole.lstrip("0") or "0"
    if len(whole) > MAX_WHOLE_DIGITS:
        raise AmountError(_("转账金额过大，请核对"))
    fen = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if fen == 0:
        raise AmountError(_("转账金额必须大于 0"))
    return fen


def format_yuan(fen: int) -> str:
    """12345678 -> "123,456.78" (no float involved)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"
