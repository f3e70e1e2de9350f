"""Strict parsing of numbers that arrive as text from outside (signed timestamps, ids in URLs).

Python's int() accepts "+5", " 5 ", "5_000" and any Unicode digit ("５", "²" even passes isdigit() but
not int()); a signed header or a WeChat field must be plain ASCII digits, nothing else.
"""

MAX_ROW_ID = 2**31 - 1  # an id beyond INTEGER is a database error on PostgreSQL: treat it as "no such row"


def ascii_int(text: object, max_digits: int = 18) -> int | None:
    """The value of `text` when it is 1..max_digits ASCII digits; None for anything else."""
    if not isinstance(text, str) or not 0 < len(text) <= max_digits:
        return None
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)
