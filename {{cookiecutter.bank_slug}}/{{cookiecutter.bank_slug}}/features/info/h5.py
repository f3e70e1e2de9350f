"""/h5/branches: the bank's open branches, self-service areas and ATMs; nearest first, with the distance, when
the customer shares a location (the browser's, sent back as ?lat=&lng=, or the newest WeChat reported within a
day). Coordinates that are not numbers, come alone, or lie outside China are a 400 with the reason."""

import math

from flask import Blueprint, g, render_template, request, url_for

from ...h5.errors import error_page
from ...h5.oauth import customer_required
from ...shared.geo import in_china
from ...shared.i18n import _
from ...shared.timeutil import local_time, utcnow
from ..branches.service import KINDS, open_branches
from .finder import NEAREST_ON_PAGE, fresh, nearby
from .location import last_location

bp = Blueprint("branches", __name__)

MAX_COORDINATE_CHARS = 24


class BadLocation(ValueError):
    """The reason (Chinese) the coordinates are refused."""


def parse_location(lat: str | None, lng: str | None) -> tuple[float, float] | None:
    if lat is None and lng is None:
        return None
    if lat is None or lng is None:
        raise BadLocation(_("纬度 lat 和经度 lng 须同时给出。"))
    try:
        if len(lat) > MAX_COORDINATE_CHARS or len(lng) > MAX_COORDINATE_CHARS:
            raise ValueError
        latitude, longitude = float(lat), float(lng)
    except ValueError:
        raise BadLocation(_("位置须为数字形式的纬度和经度（度）。")) from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise BadLocation(_("位置须为数字形式的纬度和经度（度）。"))
    if not in_china(latitude, longitude):
        raise BadLocation(_("该位置不在本行服务范围（中国境内）内。"))
    return latitude, longitude


@bp.get("/branches")
@customer_required
def page():
    try:
        point = parse_location(request.args.get("lat"), request.args.get("lng"))
    except BadLocation as exc:
        return error_page(_("网点查询"), str(exc), 400, url_for("h5.branches.page"))
    source = "browser" if point else None
    if point is None:
        location = last_location(g.openid)
        if fresh(location) and in_china(location.latitude, location.longitude):
            point, source = (location.latitude, location.longitude), "wechat"
    places = nearby(*point, NEAREST_ON_PAGE) if point else []
    branches = [] if places else open_branches(limit=NEAREST_ON_PAGE)
    now = local_time(utcnow())
    return render_template("h5/branches.html", places=places, branches=branches, source=source, kinds=KINDS,
                           now=now)
