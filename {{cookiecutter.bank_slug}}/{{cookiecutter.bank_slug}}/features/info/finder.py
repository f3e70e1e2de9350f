"""网点搜索, the branch finder: the open branches, self-service areas and ATMs nearest to the customer, with the
distance, whether they are open now (from their opening hours, shared/hours.py), the phone and a map link.

Where the location comes from: a location message (the user picks a place, also what the menu's
location_select button sends), or the newest LOCATION report WeChat made for the follower (kept by
location.py) when it is at most LOCATION_FRESH old. Places outside China are not searched.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from ...shared.geo import format_distance, in_china, tencent_map_marker_url
from ...shared.hours import open_at
from ...shared.i18n import _
from ...shared.timeutil import local_time, utcnow
from ...web.language import bank_name
from ..branches.service import KINDS, nearest_branches

NEAREST_IN_CHAT = 3
NEAREST_ON_PAGE = 20
LOCATION_FRESH = timedelta(hours=24)


@dataclass(frozen=True)
class Nearby:
    """One place of the bank near the customer, ready to show."""

    code: str
    name: str
    kind: str
    address: str
    phone: str
    hours: str
    services: str
    distance: str
    open_now: bool | None  # None: the hours do not say
    map_url: str


def _referer() -> str:
    return current_app.config.get("TENCENT_MAP_REFERER") or bank_name(current_app.config, short=True)


def nearby(latitude: float, longitude: float, limit: int, now: datetime | None = None) -> list[Nearby]:
    local_now = local_time(now or utcnow())
    found = []
    for branch, metres in nearest_branches(latitude, longitude, limit=limit):
        found.append(Nearby(
            code=branch.code, name=branch.name, kind=str(KINDS.get(branch.kind, branch.kind)),
            address=branch.address or "", phone=branch.phone or "", hours=branch.opening_hours or "",
            services=branch.services or "", distance=format_distance(metres),
            open_now=open_at(branch.opening_hours, local_now),
            map_url=tencent_map_marker_url(branch.latitude, branch.longitude, branch.name, branch.address or "",
                                           _referer())))
    return found


def _state(place: Nearby) -> str:
    if place.open_now is None:
        return ""
    return _("营业中") if place.open_now else _("休息中（非营业时间）")


def nearest_text(latitude: float, longitude: float, now: datetime | None = None) -> str | None:
    """The chat answer listing the nearest places; None when the point is outside China or nothing is near
    (the caller answers as before)."""
    if not in_china(latitude, longitude):
        return None
    places = nearby(latitude, longitude, NEAREST_IN_CHAT, now)
    if not places:
        return None
    lines = [_("离您最近的%(bank)s网点：", bank=bank_name(current_app.config, short=True))]
    for number, place in enumerate(places, start=1):
        kind = "" if place.kind in place.name else f"（{place.kind}）"
        head = f"{number}. {place.name}{kind} {place.distance}"
        state = _state(place)
        lines.append(head + (f" · {state}" if state else ""))
        details = [part for part in (place.address, _("电话 %(phone)s", phone=place.phone) if place.phone else "",
                                     place.hours) if part]
        if details:
            lines.append("   " + " · ".join(details))
        lines.append(f'   <a href="{place.map_url}">{_("地图导航")}</a>')
    return "\n".join(lines)


def fresh(location, now: datetime | None = None) -> bool:
    return location is not None and (now or utcnow()) - location.updated_at <= LOCATION_FRESH
