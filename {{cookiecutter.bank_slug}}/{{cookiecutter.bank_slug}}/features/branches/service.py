"""The rules for a branch's details, shared by the admin panel and the CLI, and the audited writes.

A branch's code is its identity (staff, customers and the audit log refer to it): it is set once and never
changed. A branch is closed, never deleted; a branch with active branch operators cannot be closed until
they are moved or deactivated, so nobody is left logged in to a branch that no longer exists.
"""

import math
import re

from sqlalchemy import func, select

from ...admin import audit
from ...admin.models import ROLE_BRANCH_OPERATOR, StaffUser
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.geo import bounding_box, distance_m
from ...shared.hours import HoursError, parse_hours
from ...shared.i18n import _, _l
from ...shared.timeutil import utcnow

CODE = re.compile(r"[0-9A-Za-z]{1,16}\Z")
PHONE = re.compile(r"[0-9+()\- ]{5,32}\Z")
TEXT_LIMITS = {"name": 64, "address": 200, "opening_hours": 200, "services": 200}
AUDITED = ("code", "name", "kind", "address", "phone", "opening_hours", "services", "latitude", "longitude",
           "closed_at")
KIND_BRANCH, KIND_SELF_SERVICE, KIND_ATM = "branch", "self_service", "atm"
KINDS = {KIND_BRANCH: _l("营业网点"), KIND_SELF_SERVICE: _l("自助银行"), KIND_ATM: _l("ATM")}


class BranchError(ValueError):
    """A refused branch write; the message says why, in the request's language."""


def _text(values: dict, key: str) -> str | None:
    raw = values.get(key)
    if raw is None:
        return None
    text = " ".join(str(raw).split())
    if any(ord(ch) < 32 for ch in text):
        raise BranchError(_("%(field)s 含有不可见字符。", field=key))
    return text or None


def _coordinate(raw, low: float, high: float, label: str) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise BranchError(_("%(label)s 须为数字（度，GCJ-02 坐标）。", label=label)) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BranchError(_("%(label)s 须在 %(low)s 到 %(high)s 之间。", label=label, low=low, high=high))
    return round(value, 6)


def clean(values: dict, *, creating: bool) -> dict:
    """The checked values of a branch write. Keys absent from `values` are left out (an edit changes only
    what it names); an empty string clears an optional field."""
    cleaned: dict = {}
    if creating:
        code = str(values.get("code") or "").strip()
        if not CODE.match(code):
            raise BranchError(_("网点编号须为 1-16 位字母或数字。"))
        if db.session.execute(select(Branch.id).where(Branch.code == code)).first():
            raise BranchError(_("网点编号 %(code)s 已存在。", code=code))
        cleaned["code"] = code
    if "name" in values or creating:
        name = _text(values, "name")
        if not name:
            raise BranchError(_("请填写网点名称。"))
        cleaned["name"] = name
    for key in ("address", "opening_hours", "services"):
        if key in values:
            cleaned[key] = _text(values, key)
    if cleaned.get("opening_hours"):
        try:  # the branch finder tells customers "open now" from these hours: they must be readable
            parse_hours(cleaned["opening_hours"])
        except HoursError as exc:
            raise BranchError(str(exc)) from None
    if "kind" in values or creating:
        kind = str(values.get("kind") or KIND_BRANCH).strip()
        if kind not in KINDS:
            raise BranchError(_("网点类型须为 %(kinds)s 之一。", kinds="、".join(KINDS)))
        cleaned["kind"] = kind
    for key, limit in TEXT_LIMITS.items():
        if cleaned.get(key) and len(cleaned[key]) > limit:
            raise BranchError(_("%(field)s 不能超过 %(n)d 个字符。", field=key, n=limit))
    if "phone" in values:
        phone = _text(values, "phone")
        if phone and not PHONE.match(phone):
            raise BranchError(_("电话号码只能包含数字、空格、+、- 和括号（5-32 位）。"))
        cleaned["phone"] = phone
    if "latitude" in values:
        cleaned["latitude"] = _coordinate(values["latitude"], -90.0, 90.0, _("纬度"))
    if "longitude" in values:
        cleaned["longitude"] = _coordinate(values["longitude"], -180.0, 180.0, _("经度"))
    return cleaned


def check_coordinates(branch: Branch) -> None:
    """Latitude and longitude come as a pair: a branch finder cannot use one of them."""
    if (branch.latitude is None) != (branch.longitude is None):
        raise BranchError(_("经度和纬度须同时填写或同时留空。"))


def snapshot(branch: Branch) -> dict:
    return {key: getattr(branch, key) for key in AUDITED}


def _record(action: str, branch: Branch, before: dict | None, actor: str | None) -> None:
    db.session.flush()
    kwargs = {"staff": None, "actor_username": actor} if actor else {}
    audit.record(action, "bank_branch", branch.id, before, snapshot(branch), commit=False, **kwargs)


def add(values: dict, *, actor: str | None = None) -> Branch:
    """Create a branch and its audit entry; the caller commits. `actor` names a CLI caller (the admin
    panel's staff user is recorded otherwise)."""
    branch = Branch(**clean(values, creating=True))
    check_coordinates(branch)
    db.session.add(branch)
    _record("create", branch, None, actor)
    return branch


def edit(branch: Branch, values: dict, *, actor: str | None = None) -> Branch:
    before = snapshot(branch)
    for key, value in clean(values, creating=False).items():
        setattr(branch, key, value)
    check_coordinates(branch)
    _record("update", branch, before, actor)
    return branch


def active_operators(branch: Branch) -> int:
    return db.session.execute(select(func.count(StaffUser.id)).where(
        StaffUser.branch_id == branch.id, StaffUser.active.is_(True),
        StaffUser.role == ROLE_BRANCH_OPERATOR)).scalar_one()


def close(branch: Branch, *, actor: str | None = None) -> Branch:
    if not branch.is_open:
        raise BranchError(_("网点 %(code)s 已经关闭。", code=branch.code))
    if operators := active_operators(branch):
        raise BranchError(_("网点 %(code)s 还有 %(n)d 个启用的网点操作员：请先调整他们的所属网点或停用账号，"
                            "再关闭网点。", code=branch.code, n=operators))
    before = snapshot(branch)
    branch.closed_at = utcnow()
    _record("close", branch, before, actor)
    return branch


def reopen(branch: Branch, *, actor: str | None = None) -> Branch:
    if branch.is_open:
        raise BranchError(_("网点 %(code)s 正在营业。", code=branch.code))
    before = snapshot(branch)
    branch.closed_at = None
    _record("reopen", branch, before, actor)
    return branch


def by_code(code: str) -> Branch | None:
    return db.session.execute(select(Branch).where(Branch.code == code.strip())).scalar_one_or_none()


def open_branches(limit: int | None = None) -> list[Branch]:
    """The open branches by code, for customers (the chat's 网点 reply, a branch finder)."""
    query = select(Branch).where(Branch.closed_at.is_(None)).order_by(Branch.code)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


SEARCH_RADII_M = (2_000, 10_000, 50_000, 200_000, 1_000_000)  # widened until enough branches are inside
MAX_CANDIDATES = 2_000  # rows read per box at most, however dense the bank's network


def nearest_branches(latitude: float, longitude: float, limit: int = 3,
                     kinds: tuple[str, ...] | None = None) -> list[tuple[Branch, float]]:
    """The open branches (of `kinds`, default all) nearest to the point, with their distance in metres, nearest
    first; none further than the widest radius. Each step reads only the rows inside a bounding box (the
    index on latitude, longitude), so a bank with 3,000 branches costs what one with 3 does."""
    for radius in SEARCH_RADII_M:
        low_lat, high_lat, low_lng, high_lng = bounding_box(latitude, longitude, radius)
        query = (select(Branch).where(
            Branch.closed_at.is_(None), Branch.latitude.between(low_lat, high_lat),
            Branch.longitude.between(low_lng, high_lng)).limit(MAX_CANDIDATES))
        if kinds:
            query = query.where(Branch.kind.in_(kinds))
        found = [(branch, distance_m(latitude, longitude, branch.latitude, branch.longitude))
                 for branch in db.session.execute(query).scalars()]
        inside = sorted(((branch, metres) for branch, metres in found if metres <= radius),
                        key=lambda pair: (pair[1], pair[0].code))
        if len(inside) >= limit or radius == SEARCH_RADII_M[-1]:
            return inside[:limit]
    return []
