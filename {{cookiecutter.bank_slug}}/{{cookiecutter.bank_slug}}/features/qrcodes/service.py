"""Create QR codes through WeChat (POST /cgi-bin/qrcode/create), fetch their image (showqrcode), record the
follows and scans that come through them, and count followers by source.

WeChat's rules (生成带参数的二维码): QR_LIMIT_STR_SCENE is permanent, at most 100,000 per account;
QR_STR_SCENE is temporary, expire_seconds at most 2,592,000 (30 days); scene_str is 1-64 characters. A follow
through a code arrives as Event=subscribe with EventKey qrscene_<scene> and a Ticket, a scan by a follower as
Event=SCAN with EventKey <scene>.
"""

import io
import re
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import func, select
from wechatpy.exceptions import WeChatClientException

from ...admin.models import StaffUser
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _
from ...shared.timeutil import utcnow
from ...wechat.client import MP, base_url, get_client
from .models import EVENT_SCAN, EVENT_SUBSCRIBE, KIND_BRANCH, KIND_CAMPAIGN, KIND_STAFF, KINDS, QrCode, QrScan

PERMANENT, TEMPORARY = "QR_LIMIT_STR_SCENE", "QR_STR_SCENE"
SCENE_MAX = 64  # scene_str: 1 to 64 characters
MAX_EXPIRE_SECONDS = 2_592_000  # 30 days
PERMANENT_LIMIT = 100_000  # permanent codes an account may have
NAME_MAX = 64
CAMPAIGN = re.compile(r"^[A-Za-z0-9_-]{1,50}$")  # campaign:<this> stays within 64 characters
SHOW_PATH = "/cgi-bin/showqrcode"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT_SECONDS = 10


class QrCodeError(ValueError):
    """Input or an answer from WeChat that makes no code; the message says why (for staff)."""


def scene_for(kind: str, *, branch: Branch | None = None, staff: StaffUser | None = None,
              campaign: str | None = None) -> str:
    if kind == KIND_BRANCH:
        return f"branch:{branch.code}"
    if kind == KIND_STAFF:
        return f"staff:{staff.id}"
    return f"campaign:{campaign}"


def _clean(kind: str, name: str, branch, staff, campaign, expire_seconds) -> tuple[str, str, int | None]:
    """(name, scene, expire_seconds) or QrCodeError."""
    if kind not in KINDS:
        raise QrCodeError(_("未知的二维码类型。"))
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise QrCodeError(_("请填写名称（1-%(n)s 个字）。", n=NAME_MAX))
    if kind == KIND_BRANCH:
        if branch is None:
            raise QrCodeError(_("请选择网点。"))
        if not branch.is_open:
            raise QrCodeError(_("该网点已关闭。"))
        return name, scene_for(kind, branch=branch), None
    if kind == KIND_STAFF:
        if staff is None or not staff.active:
            raise QrCodeError(_("请选择在职的员工。"))
        return name, scene_for(kind, staff=staff), None
    campaign = (campaign or "").strip()
    if not CAMPAIGN.match(campaign):
        raise QrCodeError(_("活动代码须为 1-50 位字母、数字、下划线或连字符。"))
    if isinstance(expire_seconds, bool) or not isinstance(expire_seconds, int) or not (
            1 <= expire_seconds <= MAX_EXPIRE_SECONDS):
        raise QrCodeError(_("有效期须为 1 到 %(max)s 秒（30 天）。", max=MAX_EXPIRE_SECONDS))
    return name, scene_for(kind, campaign=campaign), expire_seconds


def create_code(kind: str, *, name: str, created_by: str, branch: Branch | None = None,
                staff: StaffUser | None = None, campaign: str | None = None,
                expire_seconds: int | None = None) -> QrCode:
    """Ask WeChat for the code and add it to the session (the caller audits and commits). Call it with no write
    transaction open: the access token store may need its own."""
    name, scene, expire_seconds = _clean(kind, name, branch, staff, campaign, expire_seconds)
    permanent = kind != KIND_CAMPAIGN
    if permanent:
        existing = db.session.scalar(select(QrCode.id).where(QrCode.scene == scene, QrCode.expires_at.is_(None)))
        if existing is not None:
            raise QrCodeError(_("该场景已有永久二维码（#%(id)s），请直接下载。", id=existing))
        count = db.session.scalar(select(func.count(QrCode.id)).where(QrCode.expires_at.is_(None)))
        if count >= PERMANENT_LIMIT:
            raise QrCodeError(_("永久二维码已达微信上限 %(n)s 个。", n=PERMANENT_LIMIT))
    body = {"action_name": PERMANENT if permanent else TEMPORARY, "action_info": {"scene": {"scene_str": scene}}}
    if not permanent:
        body["expire_seconds"] = expire_seconds
    db.session.commit()  # no transaction is held over the network
    try:
        answer = get_client().qrcode.create(body)
    except WeChatClientException as exc:
        raise QrCodeError(_("微信拒绝创建二维码：%(code)s %(message)s", code=exc.errcode, message=exc.errmsg)) from None
    except requests.RequestException as exc:
        raise QrCodeError(_("无法连接微信接口（%(kind)s）", kind=type(exc).__name__)) from None
    ticket, url = answer.get("ticket"), answer.get("url")
    if not isinstance(ticket, str) or not ticket or not isinstance(url, str):
        raise QrCodeError(_("微信的应答缺少 ticket。"))
    now = utcnow()
    seconds = answer.get("expire_seconds") if not permanent else None
    if not permanent and not isinstance(seconds, int):
        seconds = expire_seconds
    expires_at = now + timedelta(seconds=seconds) if seconds else None
    code = QrCode(kind=kind, name=name, scene=scene, action_name=body["action_name"], ticket=ticket[:256],
                  url=url[:256], expire_seconds=seconds, expires_at=expires_at,
                  branch_id=branch.id if branch is not None else (staff.branch_id if staff is not None else None),
                  staff_id=staff.id if staff is not None else None, created_by=created_by, created_at=now)
    db.session.add(code)
    db.session.flush()
    return code


def is_expired(code: QrCode, now: datetime | None = None) -> bool:
    return code.expires_at is not None and code.expires_at <= (now or utcnow())


def show_url(config) -> str:
    """showqrcode on WeChat's MP host, or on the mock WeChat in sandbox mode (wechat/client/base.py)."""
    return base_url(config, MP) + SHOW_PATH


def fetch_png(code: QrCode) -> bytes:
    """The code's image from WeChat, as PNG (WeChat may send JPEG: it is re-encoded). QrCodeError when WeChat
    has no image for the ticket (expired) or cannot be reached."""
    if is_expired(code):
        raise QrCodeError(_("该二维码已过期。"))
    try:
        response = requests.get(show_url(current_app.config), params={"ticket": code.ticket}, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise QrCodeError(_("无法连接微信接口（%(kind)s）", kind=type(exc).__name__)) from None
    if response.status_code != 200 or not response.headers.get("Content-Type", "").startswith("image/"):
        raise QrCodeError(_("微信没有该二维码的图片（HTTP %(status)s）。", status=response.status_code))
    data = response.content
    if data.startswith(PNG_SIGNATURE):
        return data
    from PIL import Image, UnidentifiedImageError  # Pillow comes with captcha

    try:
        image = Image.open(io.BytesIO(data))
        out = io.BytesIO()
        image.save(out, format="PNG")
    except (UnidentifiedImageError, OSError):
        raise QrCodeError(_("微信返回的不是图片。")) from None
    return out.getvalue()


# -- follows and scans -------------------------------------------------------------------------------------
def code_for(scene: str, ticket: str | None) -> QrCode | None:
    """The code an event names: by its ticket, else the newest code with that scene."""
    if ticket:
        code = db.session.scalar(select(QrCode).where(QrCode.ticket == ticket))
        if code is not None:
            return code
    return db.session.scalar(select(QrCode).where(QrCode.scene == scene).order_by(QrCode.id.desc()).limit(1))


def record(openid: str, event: str, scene: str, ticket: str | None) -> QrScan | None:
    """Add one follow or scan (the caller commits); None when there is no scene (a follow without a code)."""
    scene = (scene or "").strip()[:SCENE_MAX]
    if not scene or not openid:
        return None
    code = code_for(scene, ticket)
    first = event == EVENT_SUBSCRIBE and db.session.scalar(
        select(QrScan.id).where(QrScan.openid == openid, QrScan.event == EVENT_SUBSCRIBE).limit(1)) is None
    scan = QrScan(openid=openid[:64], event=event, scene=scene, code_id=code.id if code else None,
                  first_touch=first, occurred_at=utcnow())
    db.session.add(scan)
    return scan


def attribution(openid: str) -> QrCode | None:
    """The code this follower first followed through (first touch), if any."""
    return db.session.scalar(select(QrCode).join(QrScan, QrScan.code_id == QrCode.id)
                             .where(QrScan.openid == openid, QrScan.first_touch.is_(True)).limit(1))


NO_CODE = "none"


def follows_by_source(branch_id: int | None, since: datetime, *, head_office: bool) -> dict[str, int]:
    """Follows since `since` by source: branch, staff, campaign code, and (head office only) no code, which
    is every follow (wechat_follow_event) not through a code of ours."""
    query = (select(QrCode.kind, func.count(QrScan.id)).join(QrCode, QrScan.code_id == QrCode.id)
             .where(QrScan.event == EVENT_SUBSCRIBE, QrScan.occurred_at >= since).group_by(QrCode.kind))
    if not head_office:
        query = query.where(QrCode.branch_id == branch_id) if branch_id is not None else query.where(False)
    counts = dict.fromkeys(KINDS, 0)
    counts.update({kind: n for kind, n in db.session.execute(query)})
    if head_office:
        from ...wechat.models import FollowEvent

        total = db.session.scalar(select(func.count(FollowEvent.id)).where(
            FollowEvent.kind == "subscribe", FollowEvent.occurred_at >= since)) or 0
        counts[NO_CODE] = max(0, total - sum(counts[kind] for kind in KINDS))
    return counts


def branch_name_for(code: QrCode | None) -> str | None:
    if code is None or code.branch_id is None:
        return None
    branch = db.session.get(Branch, code.branch_id)
    return branch.name if branch is not None else None


__all__ = ["EVENT_SCAN", "EVENT_SUBSCRIBE", "KINDS", "QrCode", "QrCodeError", "QrScan", "create_code", "fetch_png",
           "record"]
