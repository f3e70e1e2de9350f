"""Masking of personal financial information (card, ID and phone numbers, names).

Used for every reply, page, admin list and log line that shows such data. `scrub()` is the
defence in depth for free text: it masks anything that looks like a card, ID or mobile number.
"""

import re


def mask_card(card_number: str) -> str:
    """6228 **** **** 1234: first four and last four digits."""
    digits = re.sub(r"\D", "", card_number or "")
    if len(digits) < 8:
        return "****"
    return f"{digits[:4]} **** **** {digits[-4:]}"


def card_tail(card_number: str) -> str:
    digits = re.sub(r"\D", "", card_number or "")
    return digits[-4:] if len(digits) >= 4 else "****"


def mask_id_number(id_number: str) -> str:
    """Resident ID: first and last character kept, 1**************X."""
    value = (id_number or "").strip()
    if len(value) < 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_phone(phone: str) -> str:
    """Mobile number: 138****5678."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_name(name: str) -> str:
    """Chinese names keep the family name (张*, 欧阳**); Latin names keep the first letter."""
    value = (name or "").strip()
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


def mask_openid(openid: str) -> str:
    """WeChat openid (not secret, but personal): first four and last four characters, o6_b****fL2M."""
    value = (openid or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}****{value[-4:]}"


# Longest first: an 18-character ID contains 11-digit runs that look like phone numbers. Every pattern
# stands alone between non-alphanumerics, so digit runs inside hex digests (SHA-1 signatures) or tokens
# are left alone.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_CARD_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{4}(?:[ -]?\d){8,15}(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# A WeChat openid: 28 characters of [A-Za-z0-9_-], starting with "o".
_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")
# A number right after MsgId / msg_id / msg: is WeChat's message id, not a card.
_MSG_ID_CONTEXT = re.compile(r"(?i)(?:msg_?id[\s\"'=:]{0,3}|msg:)$")


def _card(match: re.Match) -> str:
    before = match.string[max(0, match.start() - 12):match.start()]
    return match.group() if _MSG_ID_CONTEXT.search(before) else mask_card(match.group())


def scrub(text: str) -> str:
    """Mask card, ID and mobile numbers and openids found anywhere in free text (log lines, echoes)."""
    if not text:
        return text
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _CARD_NUMBER.sub(_card, text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), text)
    return _OPENID.sub(lambda m: mask_openid(m.group()), text)
