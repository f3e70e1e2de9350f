"""Bank card numbers: normalising what people type, and the Luhn (mod 10) check digit."""

import re

_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_card(text: str) -> str:
    """Digits only: '6228 4800-1234' -> '622848001234'; '' when anything
    else than digits, spaces and dashes was typed."""
    digits = _SEPARATORS.sub("", text or "")
    return digits if digits.isascii() and digits.isdigit() else ""


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial` + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(partial)):
        digit = int(char)
        if position % 2 == 0:  # doubled: these become the odd positions once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(card_number: str) -> bool:
    """True for a 12-19 digit number whose last digit is its Luhn check digit."""
    digits = normalise_card(card_number)
    if not 12 <= len(digits) <= 19:
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def with_check_digit(partial: str) -> str:
    return partial + luhn_check_digit(partial)
