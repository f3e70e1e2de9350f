"""Payee banks the form offers: this bank, or one of a short list of others (sent to the core by code)."""

from ..port import THIS_BANK

OTHER_BANKS = {
    "ICBC": "中国工商银行",
    "ABC": "中国农业银行",
    "BOC": "中国银行",
    "CCB": "中国建设银行",
    "BOCOM": "交通银行",
    "PSBC": "中国邮政储蓄银行",
    "CMB": "招商银行",
}


def bank_name(code: str, this_bank_name: str) -> str:
    return this_bank_name if code == THIS_BANK else OTHER_BANKS.get(code, code)


def is_known_bank(code: str) -> bool:
    return code == THIS_BANK or code in OTHER_BANKS
