"""Demo branches and customers (fictitious people with well-formed ID numbers) for `seed-demo`."""

from datetime import date

BRANCHES = [
    ("0001", "营业部", "人民路 88 号", "0571-8800 0001"),
    ("0101", "城东支行", "城东大道 16 号", "0571-8800 0101"),
    ("0201", "河西支行", "河西街 203 号", "0571-8800 0201"),
]

# name, birth date, sequence (3 digits, odd = male), mobile, branch code
CUSTOMERS = [
    ("张伟", date(1985, 3, 12), "013", "13800138001", "0001"),
    ("李娜", date(1990, 7, 25), "024", "13900139002", "0001"),
    ("王芳", date(1978, 11, 2), "046", "13700137003", "0101"),
    ("刘洋", date(1995, 1, 30), "057", "15800158004", "0101"),
    ("陈静", date(1982, 9, 9), "068", "18600186005", "0201"),
    ("欧阳明", date(1970, 5, 18), "079", "18800188006", "0201"),
]

REGION = "330100"  # a prefecture-level region code
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643 check character of a resident ID number."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number(birth: date, sequence: str) -> str:
    first17 = f"{REGION}{birth:%Y%m%d}{sequence}"
    return first17 + id_check_char(first17)
