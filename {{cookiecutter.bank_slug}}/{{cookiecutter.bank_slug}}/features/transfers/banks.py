"""Payee banks the form offers: this bank, or one of a short list of others (sent to the core by code)."""

from ...core_banking.port import THIS_BANK
from ...shared.i18n import _l

OTHER_BANKS = {
    "ICBC": _l("中国工商银行"),
    "ABC": _l("中国农业银行"),
    "BOC": _l("中国银行"),
    "CCB": _l("中国建设银行"),
    "BOCOM": _l("交通银行"),
    "PSBC": _l("中国邮政储蓄银行"),
    "CMB": _l("招商银行"),
}


def bank_name(code: str, this_bank_name: str) -> str:
    return this_bank_name if code == THIS_BANK else str(OTHER_BANKS.get(code, code))


def is_known_bank(code: str) -> bool:
    return code == THIS_BANK or code in OTHER_BANKS
