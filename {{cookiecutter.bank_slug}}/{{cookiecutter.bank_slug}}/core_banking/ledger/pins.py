"""Transaction PINs of ledger accounts: stored as salted scrypt hashes, compared in constant time."""

import re

from werkzeug.security import check_password_hash, generate_password_hash

PIN_PATTERN = re.compile(r"\d{6}")
# scrypt N=2**14: ~0.1 s per hash on a small server; the service locks the PIN after a few failures.
PIN_HASH_METHOD = "scrypt:16384:8:1"


def is_well_formed(pin: str) -> bool:
    return isinstance(pin, str) and PIN_PATTERN.fullmatch(pin) is not None


def hash_pin(pin: str) -> str:
    if not is_well_formed(pin):
        raise ValueError("交易密码须为 6 位数字 The PIN must be 6 digits")
    return generate_password_hash(pin, method=PIN_HASH_METHOD)


def pin_matches(pin_hash: str | None, pin: str) -> bool:
    if not pin_hash or not is_well_formed(pin):
        return False
    return check_password_hash(pin_hash, pin)
