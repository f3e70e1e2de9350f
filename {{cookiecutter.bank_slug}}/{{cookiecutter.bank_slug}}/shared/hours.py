"""Opening hours as staff write them in Chinese, read so that "open now" can be told:

    周一至周五 9:00-17:00，周六 9:00-12:00
    周一至周日 8:30-17:00          每天 8:30-17:00          工作日 9:00-12:00 13:30-17:00
    24小时                          （an ATM or a self-service area）

Segments are separated by ，,；; or a line break; each names days (周一 … 周日 / 星期一 … / 周一至周五 /
周六、周日 / 每天 / 工作日 / 周末) and one or more HH:MM-HH:MM ranges (a range may end at 24:00). Public
holidays are not modelled: a branch's notice of holiday hours is the staff's to publish.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from .i18n import _, _l

DAY_NAMES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY = r"(?:周|星期)([一二三四五六日天])"
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-~－—至到]\s*(\d{1,2}):(\d{2})")
_SEGMENTS = re.compile(r"[，,；;\n]+")
ALL_DAY = frozenset({"24小时", "24 小时", "24小时营业", "24 小时营业", "全天", "全天24小时"})


class HoursError(ValueError):
    """The text cannot be read as opening hours; the message (Chinese) says what to write."""


@dataclass(frozen=True)
class WeeklyHours:
    """Per weekday (0 = Monday), the open ranges as minutes since midnight, [start, end)."""

    days: tuple[tuple[tuple[int, int], ...], ...]

    def is_open(self, at: datetime) -> bool:
        minute = at.hour * 60 + at.minute
        return any(start <= minute < end for start, end in self.days[at.weekday()])


HINT = _l("营业时间请写成「周一至周五 9:00-17:00，周六 9:00-12:00」或「24小时」")


def _days(spec: str) -> set[int]:
    spec = spec.strip().replace(" ", "")
    if spec in ("每天", "每日", "全周", "周一至周日", "周一到周日"):
        return set(range(7))
    if spec in ("工作日", "周一至周五", "周一到周五"):
        return set(range(5))
    if spec in ("周末", "双休日"):
        return {5, 6}
    span = re.fullmatch(_DAY + r"(?:至|到|-|~)" + _DAY, spec)
    if span:
        first, last = DAY_NAMES[span.group(1)], DAY_NAMES[span.group(2)]
        return set(range(first, last + 1)) if first <= last else set(range(first, 7)) | set(range(0, last + 1))
    parts = re.split(r"[、/和及]", spec)
    days = set()
    for part in parts:
        single = re.fullmatch(_DAY, part)
        if not single:
            raise HoursError(_("看不懂「%(spec)s」是哪几天；%(hint)s", spec=spec, hint=HINT))
        days.add(DAY_NAMES[single.group(1)])
    return days


def _minutes(hour: str, minute: str) -> int:
    h, m = int(hour), int(minute)
    if m > 59 or h > 24 or (h == 24 and m):
        shown = hour + ":" + minute
        raise HoursError(_("时间 %(time)s 不存在；%(hint)s", time=shown, hint=HINT))
    return h * 60 + m


def parse_hours(text: str | None) -> WeeklyHours | None:
    """The weekly hours, or None when no hours are given; HoursError when the text cannot be read."""
    text = (text or "").strip()
    if not text:
        return None
    if text.replace("营业", "") in ALL_DAY or text in ALL_DAY:
        return WeeklyHours(tuple(((0, 24 * 60),) for _ in range(7)))
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for segment in filter(None, (part.strip() for part in _SEGMENTS.split(text))):
        first = _RANGE.search(segment)
        if first is None:
            raise HoursError(_("「%(text)s」没有营业时段（如 9:00-17:00）；%(hint)s", text=segment, hint=HINT))
        spec, rest = segment[:first.start()], segment[first.start():]
        ranges = []
        position = 0
        for match in _RANGE.finditer(rest):
            between = rest[position:match.start()].strip(" 、和及")
            if between:
                raise HoursError(_("看不懂「%(text)s」；%(hint)s", text=between, hint=HINT))
            start, end = _minutes(match.group(1), match.group(2)), _minutes(match.group(3), match.group(4))
            if end <= start:
                raise HoursError(_("%(range)s 的结束时间须晚于开始时间；%(hint)s", range=match.group(0), hint=HINT))
            ranges.append((start, end))
            position = match.end()
        if rest[position:].strip():
            raise HoursError(_("看不懂「%(text)s」；%(hint)s", text=rest[position:].strip(), hint=HINT))
        for day in _days(spec) if spec.strip() else set(range(7)):
            days[day].extend(ranges)
    return WeeklyHours(tuple(tuple(sorted(ranges)) for ranges in days))


def open_at(text: str | None, at: datetime) -> bool | None:
    """True/False when the hours say; None when there are none or they cannot be read."""
    try:
        hours = parse_hours(text)
    except HoursError:
        return None
    return None if hours is None else hours.is_open(at)
