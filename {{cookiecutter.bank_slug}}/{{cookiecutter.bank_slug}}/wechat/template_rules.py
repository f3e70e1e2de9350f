"""WeChat's rules for template-message values (类目模板 参数值内容限制), in one place: the service checks each
value against them BEFORE sending (outbox/dispatcher.py), and the mock WeChat API refuses what breaks them
with 47003 as WeChat does (sandbox/mock_api/templates.py).

Since May 2023 a template shows only its keywords; a keyword's type is its name without the number
(thing1, amount2, time3, ...) and limits what its value may hold. Values never hold line breaks.
See docs/wechat-platform.md for the table and where it comes from.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

THING_MAX_CHARS = 20
ELLIPSIS = "…"

_TIME_RUN = r"[0-9年月日时分秒:：\-/. ~]" + "{4,40}"  # digits and date/time separators; "~" joins a range
VALUE_RULES = {  # keyword type -> full-match pattern
    "thing": re.compile(r"[^\r\n]{1,20}"),  # 20 characters: Chinese, letters, digits, symbols
    "number": re.compile(r"[+-]?\d{1,32}(\.\d+)?"),  # 32 digits, a decimal point allowed
    "letter": re.compile(r"[A-Za-z]{1,32}"),  # 32 letters
    "symbol": re.compile(r"[^0-9A-Za-z\u4e00-\u9fff\s]{1,5}"),  # 5 symbols
    "character_string": re.compile(r"[\x20-\x7e]{1,32}"),  # 32 digits, letters or symbols; no Chinese
    "time": re.compile(r"(?=.*\d:\d\d)" + _TIME_RUN),  # a 24-hour time, with or without the date
    "date": re.compile(r"(?=.*\d)" + _TIME_RUN),  # a date, with or without the time
    "amount": re.compile(r"[¥￥$]?\d{1,10}(\.\d{1,2})?元?"),  # one currency sign, 10 digits, 2 decimals, 元
    "phone_number": re.compile(r"[0-9+\-() ]{1,17}"),  # 17 digits and phone symbols
    "car_number": re.compile(r"[\u4e00-\u9fffA-Z0-9]{1,8}"),  # a plate: 8 characters
    "name": re.compile(r"[\u4e00-\u9fff·]{1,10}|[A-Za-z .\-]{1,20}"),  # 10 Chinese or 20 Latin letters
    "phrase": re.compile(r"[\u4e00-\u9fff]{1,5}"),  # 5 Chinese characters
    "const": re.compile(r"[^\r\n]{1,20}"),  # the template's fixed wording (sent as it is)
}
TRUNCATABLE = ("thing", "const")  # free text: shortening keeps the meaning; other types would change it


_KEYWORD = re.compile(r"([a-z_]+?)\d*")


@lru_cache(maxsize=512)  # a template has a handful of keywords; every message asks for each
def keyword_type(keyword: str) -> str:
    """thing1 -> thing, character_string4 -> character_string; an unknown type is treated as thing."""
    match = _KEYWORD.fullmatch(keyword or "")
    kind = match.group(1) if match else ""
    return kind if kind in VALUE_RULES else "thing"


@lru_cache(maxsize=512)
def _rule(keyword: str) -> re.Pattern:
    return VALUE_RULES[keyword_type(keyword)]


def value_problem(keyword: str, value) -> str | None:
    """None when `value` fits the keyword, else WeChat's complaint ("is empty" / "invalid")."""
    if value is None or value == "":
        return "is empty"
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        return "invalid"
    return None if _rule(keyword).fullmatch(value) else "invalid"


@dataclass(frozen=True)
class Fitted:
    """A template payload made to fit (values adapted where that is safe), and what could not be made to."""

    payload: dict
    adapted: tuple[str, ...] = ()  # keywords whose value was shortened or cleaned
    problems: tuple[str, ...] = ()  # "amount2 (amount): invalid" ...: the payload must not be sent

    @property
    def ok(self) -> bool:
        return not self.problems


def fit_value(keyword: str, value) -> tuple[str | None, bool, str | None]:
    """(the value to send, whether it was adapted, the problem). Line breaks and runs of spaces fold to one
    space; a thing/const value over 20 characters is cut to 19 and "…"; nothing else is changed."""
    if not isinstance(value, str):
        return None, False, value_problem(keyword, value)
    text = " ".join(value.split())
    if keyword_type(keyword) in TRUNCATABLE and len(text) > THING_MAX_CHARS:
        text = text[:THING_MAX_CHARS - 1] + ELLIPSIS
    problem = value_problem(keyword, text)
    return (None, False, problem) if problem else (text, text != value, None)


@lru_cache(maxsize=4096)  # a sender's values repeat (the type, the card, the minute, the balance)
def _fit_text(keyword: str, value: str) -> tuple[str | None, bool, str | None]:
    return fit_value(keyword, value)


def fit_payload(payload: Mapping) -> Fitted:
    """Check (and where safe adapt) every value of a message/template/send body."""
    data = payload.get("data") if isinstance(payload.get("data"), Mapping) else {}
    fitted, adapted, problems = {}, [], []
    for keyword, item in data.items():
        value = item.get("value") if isinstance(item, Mapping) else None
        text, changed, problem = _fit_text(keyword, value) if type(value) is str else fit_value(keyword, value)
        if problem:
            problems.append(f"{keyword} ({keyword_type(keyword)}): {problem}")
            continue
        fitted[keyword] = {**item, "value": text}
        if changed:
            adapted.append(keyword)
    return Fitted({**payload, "data": fitted}, tuple(adapted), tuple(problems))
