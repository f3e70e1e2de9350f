"""LOCATION events and location messages: the latitude/longitude kept per openid (features/info/models.py).

The event is WeChat's background report: it gets no reply ("success"), WeChat shows nothing for it anyway; the
branch finder uses it when the follower then asks for 网点. A location message is the user's own act: it gets
the nearest branches (finder.py), or a short acknowledgement when none can be named. Coordinates outside the
globe are not kept (the reply still comes); the label is cut to the column and never echoed unmasked.
"""

import math

from sqlalchemy import select

from ...extensions import db
from ...shared.i18n import _l
from ...shared.masking import scrub
from ...shared.timeutil import utcnow
from .finder import nearest_text
from .models import SOURCE_EVENT, SOURCE_MESSAGE, UserLocation

RECEIVED = _l("已收到您发送的位置{label}。回复「网点」查看本行网点地址和营业时间。")
MAX_LABEL = 200


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def keep(openid: str, latitude, longitude, source: str, precision=None, scale=None, label=None) -> bool:
    """Store the openid's newest location; False when the coordinates are not a place on Earth."""
    lat, lng = _number(latitude), _number(longitude)
    if not openid or lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return False
    row = db.session.get(UserLocation, openid) or UserLocation(openid=openid)
    row.latitude, row.longitude, row.source, row.updated_at = lat, lng, source, utcnow()
    precision = _number(precision)
    row.precision_m = precision if precision is not None and precision >= 0 else None
    scale = _number(scale)
    row.scale = int(scale) if scale is not None and 0 <= scale <= 30 else None
    row.label = (label or "")[:MAX_LABEL] or None
    db.session.add(row)
    db.session.commit()
    return True


def on_location_event(message):
    keep(message.source, getattr(message, "latitude", None), getattr(message, "longitude", None), SOURCE_EVENT,
         precision=getattr(message, "precision", None))
    return None  # "success": WeChat expects no reply to the location report


def on_location_message(message):
    """The user sent a place (or picked one through the menu's location_select button): the nearest branches
    (finder.py) when it is in China and the bank has branches with coordinates, else an acknowledgement."""
    label = " ".join((getattr(message, "label", "") or "").split())
    kept = keep(message.source, getattr(message, "location_x", None), getattr(message, "location_y", None),
                SOURCE_MESSAGE, scale=getattr(message, "scale", None), label=label)
    if kept:
        row = last_location(message.source)
        answer = nearest_text(row.latitude, row.longitude)
        if answer:
            return answer
    shown = scrub(label)[:30]
    return RECEIVED.format(label=f"「{shown}」" if shown else "")


def last_location(openid: str) -> UserLocation | None:
    """The openid's newest location, for the branch finder (branches.py, this feature)."""
    return db.session.execute(select(UserLocation).where(UserLocation.openid == openid)).scalar_one_or_none()


def on_location_select(message):
    """The menu's location_select button: WeChat sends the chosen place right after as a location message, which
    gets the answer; the event itself gets "success"."""
    return None


def register(router) -> None:
    router.event("location")(on_location_event)
    router.event("location_select")(on_location_select)
    router.message_type("location")(on_location_message)
