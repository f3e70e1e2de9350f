"""What customers type to prove who they are: resident ID numbers (GB 11643) and mobile numbers."""

import re
import unicodedata
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_NUMBER = re.compile(r"[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-]+")


def id_check_char(first17: str) -> str:
    """GB 11643 check character of a resident ID number."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_id_number(text: str | None) -> str:
    """Full-width characters and spaces removed, x upper-cased: '３３０１…x' -> '3301…X'."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def id_number_valid(id_number: str) -> bool:
    """18 characters: region, a real birth date, sequence, and the right check character."""
    match = _ID_NUMBER.fullmatch(id_number or "")
    if match is None:
        return False
    try:
        birth = date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= birth <= date.today():
        return False
    return id_check_char(id_number[:17]) == id_number[17]


def normalise_mobile(text: str | None) -> str:
    """'138 0013 8001', '+86 13800138001', '138-0013-8001' -> '13800138001' (unchanged when not a number)."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    if value.startswith("+86"):
        value = value[3:]
    return value


def mobile_valid(phone: str) -> bool:
    """A mainland mobile number: 11 digits starting 13-19."""
    return bool(_MOBILE.fullmatch(phone or ""))
