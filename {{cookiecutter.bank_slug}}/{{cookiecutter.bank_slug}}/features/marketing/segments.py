"""Segments (人群) for 群发: who matches, how many of them may still receive a mass message this month, and the
WeChat tag that mirrors the segment for /cgi-bin/message/mass/sendall (which sends to all or to one tag).

WeChat's rules for user tags (用户标签管理): at most 100 tags an account, a name of at most 30 characters
and unique (45157), a follower carries at most 20 tags (45059), batchtagging / batchuntagging take 1-50
openids a call (40032), tags 0, 1 and 2 are WeChat's own (45058); user/tag/get lists a tag's followers
10,000 a page with next_openid.

The 4-a-month rule (服务号): WeChat filters out of a send every follower who already received 4 mass
messages this Beijing calendar month. The segment knows who it sends to, so before a send it counts, per
member, the accepted sends of this month that reached them — the 群发 to all followers since they followed,
the segment sends they were in (PushAudience), and every other tag send (the service does not know that
tag's members, so it counts for everyone: never too few) — and leaves out those at 4. A segment that matches
nobody, or only followers at 4, is refused with the reason before anything is sent.
"""

from dataclasses import dataclass
from datetime import timedelta

import requests
from sqlalchemy import and_, func, or_, select
from wechatpy.exceptions import WeChatClientException

from ...core_banking.models import Branch
from ...extensions import db
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.timeutil import utcnow
from ...wechat.client import get_client
from ...wechat.models import Follower, InboundMessage
from ..binding.service import STATUS_ACTIVE, CardBinding
from ..products.service import ProductView, WealthProduct
from ..pushes.service import MASS_PER_MONTH, MassPush, month_window
from ..qrcodes.service import KINDS, QrCode, QrScan
from .models import (
    BOUND_ANY,
    BOUND_CHOICES,
    BOUND_NO,
    BOUND_YES,
    SOURCE_CODE_PREFIX,
    SOURCE_KIND_PREFIX,
    SOURCE_NONE,
    PushAudience,
    Segment,
    SegmentPush,
)

TAG_BATCH = 50  # openids per batchtagging / batchuntagging call
TAG_NAME_MAX = 30
TAG_PAGE = 10_000
MAX_ACTIVE_DAYS = 365
MAX_TAG_ID = 2**31 - 1
DUPLICATE_TAG_NAME = 45157
WECHAT_TARGET_ALL = "all"


class SegmentError(DomainError):
    """A segment that cannot be saved or sent; the message says why, for staff."""

    code, message = "segment_refused", _l("人群无法使用")


@dataclass(frozen=True)
class Selection:
    """Who a segment reaches now: the matching followers, and those of them WeChat would filter (at 4)."""

    members: tuple[str, ...]
    full: tuple[str, ...]  # received 4 mass messages this Beijing month already

    @property
    def eligible(self) -> tuple[str, ...]:
        full = set(self.full)
        return tuple(openid for openid in self.members if openid not in full)


# -- criteria -----------------------------------------------------------------------------------------------

def clean_criteria(form: dict) -> dict:
    """The form's fields as Segment columns; SegmentError naming the field when one is wrong."""
    name = (form.get("name") or "").strip()
    if not name or len(name) > TAG_NAME_MAX:
        raise SegmentError(_("人群名称：请填写 1-%(n)s 个字（也是微信标签名）。", n=TAG_NAME_MAX))
    branch_code = (form.get("branch_code") or "").strip() or None
    if branch_code is not None and db.session.scalar(select(Branch.id).where(Branch.code == branch_code)) is None:
        raise SegmentError(_("网点：找不到该网点。"))
    bound = form.get("bound") or BOUND_ANY
    if bound not in BOUND_CHOICES:
        raise SegmentError(_("绑卡：请选择不限、已绑卡或未绑卡。"))
    source = (form.get("source") or "").strip() or None
    if source is not None and not _valid_source(source):
        raise SegmentError(_("关注来源：请从列表中选择。"))
    wechat_tag_id = _positive(form.get("wechat_tag_id"), MAX_TAG_ID, _("微信标签 ID：应为正整数。"))
    product_id = _positive(form.get("product_id"), MAX_TAG_ID, _("浏览过的产品：请从列表中选择。"))
    if product_id is not None and db.session.get(WealthProduct, product_id) is None:
        raise SegmentError(_("浏览过的产品：找不到该产品。"))
    active_days = _positive(form.get("active_days"), MAX_ACTIVE_DAYS,
                            _("最近互动：应为 1-%(n)s 天。", n=MAX_ACTIVE_DAYS))
    return {"name": name, "branch_code": branch_code, "bound": bound, "source": source,
            "wechat_tag_id": wechat_tag_id, "product_id": product_id, "active_days": active_days}


def _positive(raw, maximum: int, message: str) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= maximum:
        raise SegmentError(message)
    return int(text)


def _valid_source(source: str) -> bool:
    if source == SOURCE_NONE:
        return True
    if source.startswith(SOURCE_KIND_PREFIX):
        return source[len(SOURCE_KIND_PREFIX):] in KINDS
    if source.startswith(SOURCE_CODE_PREFIX):
        key = source[len(SOURCE_CODE_PREFIX):]
        return key.isascii() and key.isdigit() and len(key) <= 10 and db.session.get(QrCode, int(key)) is not None
    return False


def save_segment(form: dict, staff_username: str, segment: Segment | None = None) -> Segment:
    """Store the criteria (the caller audits and commits); SegmentError for a bad field or a taken name."""
    values = clean_criteria(form)
    taken = db.session.scalar(select(Segment.id).where(Segment.name == values["name"]))
    if taken is not None and (segment is None or taken != segment.id):
        raise SegmentError(_("人群名称：已有同名人群。"))
    if segment is None:
        segment = Segment(created_by=staff_username)
        db.session.add(segment)
    elif segment.tag_id is not None and segment.name != values["name"]:
        raise SegmentError(_("人群名称：已同步为微信标签的人群不能改名。"))
    for key, value in values.items():
        setattr(segment, key, value)
    db.session.flush()
    return segment


def _first_touch(*where):
    return select(QrScan.openid).join(QrCode, QrScan.code_id == QrCode.id).where(QrScan.first_touch.is_(True), *where)


def matching_openids(segment: Segment) -> list[str]:
    """The followers (following now) that meet every criterion, sorted."""
    query = select(Follower.openid).where(Follower.subscribed.is_(True))
    bound_any = select(CardBinding.openid).where(CardBinding.status == STATUS_ACTIVE)
    if segment.branch_code:
        branch_id = db.session.scalar(select(Branch.id).where(Branch.code == segment.branch_code))
        bound_here = bound_any.where(CardBinding.branch_code == segment.branch_code)
        query = query.where(or_(Follower.openid.in_(bound_here),
                                and_(Follower.openid.not_in(bound_any),
                                     Follower.openid.in_(_first_touch(QrCode.branch_id == branch_id)))))
    if segment.bound == BOUND_YES:
        query = query.where(Follower.openid.in_(bound_any))
    elif segment.bound == BOUND_NO:
        query = query.where(Follower.openid.not_in(bound_any))
    source = segment.source or ""
    if source == SOURCE_NONE:
        query = query.where(Follower.openid.not_in(select(QrScan.openid).where(QrScan.first_touch.is_(True))))
    elif source.startswith(SOURCE_KIND_PREFIX):
        query = query.where(Follower.openid.in_(_first_touch(QrCode.kind == source[len(SOURCE_KIND_PREFIX):])))
    elif source.startswith(SOURCE_CODE_PREFIX):
        query = query.where(Follower.openid.in_(_first_touch(QrCode.id == int(source[len(SOURCE_CODE_PREFIX):]))))
    if segment.product_id is not None:
        query = query.where(Follower.openid.in_(
            select(ProductView.openid).where(ProductView.product_id == segment.product_id,
                                             ProductView.openid.is_not(None))))
    if segment.active_days is not None:
        since = utcnow() - timedelta(days=segment.active_days)
        query = query.where(Follower.openid.in_(
            select(InboundMessage.openid).where(InboundMessage.received_at >= since)))
    openids = sorted(db.session.execute(query).scalars())
    if segment.wechat_tag_id is not None:
        tagged = set(tag_members(segment.wechat_tag_id))
        openids = [openid for openid in openids if openid in tagged]
    return openids


# -- the 4-a-month rule -----------------------------------------------------------------------------------

def received_this_month(openids, now=None) -> dict[str, int]:
    """Per openid, the accepted 群发 of this Beijing month that reached (or may have reached) them."""
    start, end, _month = month_window(now)
    in_month = (MassPush.sent_at >= start, MassPush.sent_at < end)
    segment_push_ids = select(SegmentPush.push_id)
    other_tag_sends = db.session.scalar(select(func.count()).select_from(MassPush).where(
        *in_month, MassPush.target != WECHAT_TARGET_ALL, MassPush.id.not_in(segment_push_ids))) or 0
    all_sends = list(db.session.execute(select(MassPush.sent_at).where(
        *in_month, MassPush.target == WECHAT_TARGET_ALL)).scalars())
    wanted = list(openids)
    counts = {openid: other_tag_sends for openid in wanted}
    if all_sends:
        subscribed = dict(db.session.execute(select(Follower.openid, Follower.subscribed_at)
                                             .where(Follower.openid.in_(wanted))).all())
        for openid in wanted:
            since = subscribed.get(openid)
            counts[openid] += sum(1 for at in all_sends if since is None or at >= since)
    for chunk in _chunks(wanted, 500):
        rows = db.session.execute(
            select(PushAudience.openid, func.count()).join(MassPush, MassPush.id == PushAudience.push_id)
            .where(*in_month, PushAudience.openid.in_(chunk)).group_by(PushAudience.openid)).all()
        for openid, count in rows:
            counts[openid] += int(count)
    return counts


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def select_members(segment: Segment) -> Selection:
    members = matching_openids(segment)
    received = received_this_month(members)
    return Selection(tuple(members), tuple(o for o in members if received[o] >= MASS_PER_MONTH))


def check_sendable(selection: Selection) -> None:
    """SegmentError with the reason when the send would reach nobody."""
    if not selection.members:
        raise SegmentError(_("该人群目前没有匹配的关注用户，未发送。请调整条件。"))
    if not selection.eligible:
        raise SegmentError(_("该人群的 %(n)s 位关注用户本月（北京时间）都已收满 %(max)s 条群发，微信会全部过滤，"
                             "未发送。", n=len(selection.members), max=MASS_PER_MONTH))


# -- the WeChat tag ---------------------------------------------------------------------------------------

def _wechat(path: str, body: dict) -> dict:
    try:
        return get_client().post(path, data=body)
    except WeChatClientException as exc:
        raise SegmentError(_("微信返回错误 %(code)s：%(message)s", code=exc.errcode, message=exc.errmsg)) from None
    except requests.RequestException as exc:
        raise SegmentError(_("无法连接微信接口（%(kind)s）", kind=type(exc).__name__)) from None


def tag_members(tag_id: int) -> list[str]:
    """Every follower WeChat has under the tag (user/tag/get, page by page)."""
    found, next_openid = [], ""
    while True:
        answer = _wechat("user/tag/get", {"tagid": tag_id, "next_openid": next_openid})
        page = (answer.get("data") or {}).get("openid") or []
        found.extend(page)
        next_openid = answer.get("next_openid") or ""
        if not page or not next_openid or len(page) < TAG_PAGE:
            return found


def ensure_tag(segment: Segment) -> int:
    """The segment's WeChat tag id, created on first use (a tag left by an earlier run is found by name)."""
    if segment.tag_id is not None:
        return segment.tag_id
    try:
        answer = get_client().post("tags/create", data={"tag": {"name": segment.name}})
        segment.tag_id = int(answer["tag"]["id"])
    except WeChatClientException as exc:
        if exc.errcode != DUPLICATE_TAG_NAME:
            raise SegmentError(_("创建微信标签失败：%(code)s %(message)s", code=exc.errcode,
                                 message=exc.errmsg)) from None
        try:
            tags = get_client().get("tags/get").get("tags") or []
        except (WeChatClientException, requests.RequestException):
            raise SegmentError(_("微信已有同名标签，但找不到它的 ID。")) from None
        match = [tag["id"] for tag in tags if tag.get("name") == segment.name]
        if not match:
            raise SegmentError(_("微信已有同名标签，但找不到它的 ID。")) from None
        segment.tag_id = int(match[0])
    except requests.RequestException as exc:
        raise SegmentError(_("无法连接微信接口（%(kind)s）", kind=type(exc).__name__)) from None
    return segment.tag_id


def sync_tag(segment: Segment, openids) -> tuple[int, int]:
    """Make the segment's WeChat tag carry exactly `openids`: (tagged, untagged). The caller commits."""
    tag_id = ensure_tag(segment)
    wanted = set(openids)
    current = set(tag_members(tag_id))
    add, remove = sorted(wanted - current), sorted(current - wanted)
    for chunk in _chunks(remove, TAG_BATCH):
        _wechat("tags/members/batchuntagging", {"openid_list": chunk, "tagid": tag_id})
    for chunk in _chunks(add, TAG_BATCH):
        _wechat("tags/members/batchtagging", {"openid_list": chunk, "tagid": tag_id})
    segment.synced_at, segment.synced_count = utcnow(), len(wanted)
    return len(add), len(remove)
