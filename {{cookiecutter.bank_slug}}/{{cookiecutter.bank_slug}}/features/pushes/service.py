"""群发 a product announcement: compose the text, preview it on one openid, submit it for review, and a
second head-office admin approves it (then it is sent for real) or rejects it (双人复核, shared/dual_control.py).

WeChat lets a service account's follower receive at most 4 mass messages a calendar month (counted by
WeChat in Beijing time); the rest are filtered out of the send. The service counts its own accepted sends
(`month_quota`) by the Asia/Shanghai calendar month, whatever the bank's time zone, and a send that would
reach followers already at 4 needs a staff member's explicit confirmation that they will be filtered.

The real send (POST /cgi-bin/message/mass/sendall) is refused unless this job's exact text was previewed
successfully (POST /cgi-bin/message/mass/preview) within PREVIEW_VALID_HOURS and the product is still on
sale with the same details. A job is sent at most once: `sent_at` is claimed in the database before the
call, and WeChat's `clientmsgid` makes a repeated call after a lost answer a no-op (errcode 45065).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from flask_babel import force_locale
from sqlalchemy import func, select, update
from wechatpy.exceptions import WeChatClientException

from ...extensions import db
from ...settings.sections import Brand
from ...shared import dual_control
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.timeutil import utcnow
from ...wechat.client import get_client
from ...wechat.models import Follower
from ..products.service import WealthProduct, bank_today, product_url, risk_notice
from . import job_report
from .models import TAG_PREFIX, TARGET_ALL, MassPush

log = logging.getLogger(__name__)

MAX_TEXT_BYTES = 2048  # WeChat's limit for a text message
MAX_TAG_ID = 2**31 - 1
PREVIEW_VALID_HOURS = 24
DUPLICATE_CLIENT_MSG_ID = 45065
RESULT_SENT = "ok"
MASS_PER_MONTH = 4  # 服务号: each follower receives at most 4 mass messages a calendar month
WECHAT_MONTH_TZ = ZoneInfo("Asia/Shanghai")  # WeChat counts the month in Beijing time


class PushError(DomainError):
    """Why a preview or a send cannot go ahead; the message is Chinese, for the page."""

    code, message = "push_refused", _l("群发未完成")


def compose(product: WealthProduct, brand: Brand) -> str:
    """The announcement as a WeChat text message (a news message would need uploaded media), in the
    customers' language (DEFAULT_LOCALE), whatever language the staff member's page is in."""
    with force_locale(brand.default_locale):
        return _compose(product, brand.public_base_url)


def as_text(value: str) -> str:
    """Product text inside the message: WeChat turns <a href> in a text message into a link, so angle
    brackets typed by staff become full-width ones and only the message's own link is a link."""
    return str(value).replace("<", "＜").replace(">", "＞")


def _compose(product: WealthProduct, base_url: str) -> str:
    url = product_url(base_url, product.code)
    lines = [
        _("【理财产品推荐】%(name)s", name=as_text(product.name)),
        _("产品代码：%(code)s", code=product.code),
        _("预期年化收益率：%(range)s", range=product.yield_range),
        _("产品期限：%(days)s 天", days=product.term_days),
        _("起购金额：%(amount)s 元", amount=product.min_purchase_text),
        _("风险等级：%(risk)s", risk=product.risk_label),
        _("销售期：%(start)s 至 %(end)s", start=product.sale_start.isoformat(), end=product.sale_end.isoformat()),
        _('详情：<a href="%(url)s">查看产品详情</a>', url=url),
        risk_notice(),
    ]
    text = "\n".join(lines)
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:  # cannot happen with the product's own limits; never send it cut
        raise PushError(_("群发内容超过微信文字消息上限 %(n)s 字节", n=MAX_TEXT_BYTES))
    return text


def parse_target(kind: str | None, tag: str | None) -> str:
    """The form's choice as stored: "all" or "tag:<id>"; PushError for anything else."""
    if kind == TARGET_ALL:
        return TARGET_ALL
    if kind != "tag":
        raise PushError(_("请选择群发对象"))
    text = (tag or "").strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_TAG_ID:
        raise PushError(_("标签 ID 应为正整数（在公众平台「用户管理 - 标签」中查看）"))
    return f"{TAG_PREFIX}{int(text)}"


def target_label(target: str) -> str:
    if target == TARGET_ALL:
        return _("全部关注用户")
    return _("标签 %(id)s 的关注用户", id=target[len(TAG_PREFIX):])


def check_on_sale(product: WealthProduct | None) -> WealthProduct:
    if product is None or not product.on_sale(bank_today()):
        raise PushError(_("只能群发在售的理财产品（状态为在售且在销售期内）"))
    return product


def create_job(product: WealthProduct | None, target: str, staff_username: str, brand: Brand) -> MassPush:
    product = check_on_sale(product)
    job = MassPush(product=product, product_id=product.id, target=target, content=compose(product, brand),
                   created_by=staff_username)
    db.session.add(job)
    db.session.flush()
    return job


def _message(content: str) -> dict:
    return {"msgtype": "text", "text": {"content": content}}


def message_of(job: MassPush) -> dict:
    """What WeChat receives: the product's text, or an article of the draft box (mpnews by its media_id)."""
    if job.media_id:
        return {"msgtype": "mpnews", "mpnews": {"media_id": job.media_id}}
    return _message(job.content)


def create_article_job(media_id: str, summary: str, target: str, staff_username: str) -> MassPush:
    """A 群发 of an article in WeChat's draft box (the marketing feature's library): `summary` (title and digest)
    is what staff see; WeChat sends the article itself. The caller commits."""
    job = MassPush(product_id=None, media_id=media_id, target=target, content=summary[:2000],
                   created_by=staff_username)
    db.session.add(job)
    db.session.flush()
    return job


def _describe(exc: Exception) -> str:
    if isinstance(exc, WeChatClientException):
        return _("微信返回错误 %(code)s：%(message)s", code=exc.errcode, message=exc.errmsg)[:300]
    return _("无法连接微信接口（%(kind)s）", kind=type(exc).__name__)


def send_preview(job: MassPush, openid: str | None) -> None:
    """Send the job's text to `openid` only; on success the job may be sent for real. The caller commits."""
    if not openid:
        raise PushError(_("请先设置您本人的微信 openid（须已关注本公众号），预览会发到这个微信上"))
    if job.sent_at is not None:
        raise PushError(_("该群发已发送，不能再预览"))
    try:
        get_client().post("message/mass/preview", data={"touser": openid, **message_of(job)})
    except (WeChatClientException, requests.RequestException) as exc:
        job.result = _("预览发送失败：%(reason)s", reason=_describe(exc))[:300]
        raise PushError(job.result) from None
    job.preview_openid, job.previewed_at = openid, utcnow()
    job.result = _("预览已发送")


def _check_sendable(job: MassPush, brand: Brand) -> None:
    if job.sent_at is not None:
        raise PushError(_("该群发已发送，不会重复发送"))
    if job.previewed_at is None:
        raise PushError(_("请先发送预览到您本人的微信并确认内容，再正式群发"))
    if utcnow() - job.previewed_at > timedelta(hours=PREVIEW_VALID_HOURS):
        raise PushError(_("预览已超过 %(n)s 小时，请重新预览后再群发", n=PREVIEW_VALID_HOURS))
    if job.media_id:  # an article: the marketing feature's hook checks it is unchanged (BEFORE_SEND)
        return
    product = check_on_sale(db.session.get(WealthProduct, job.product_id))
    if compose(product, brand) != job.content:
        raise PushError(_("产品信息在预览后有变更，请新建群发并重新预览"))


def send_for_real(job: MassPush, brand: Brand) -> None:
    """群发 the previewed, approved text to the job's target; commits. PushError when refused or WeChat fails."""
    _check_sendable(job, brand)
    if job.review_status != dual_control.APPROVED:
        raise PushError(_("群发须经另一位总行管理员复核通过后才能发送"))
    claimed = db.session.execute(
        update(MassPush).where(MassPush.id == job.id, MassPush.sent_at.is_(None), MassPush.previewed_at.is_not(None),
                               MassPush.review_status == dual_control.APPROVED)
        .values(sent_at=utcnow(), result=_("发送中"))
    ).rowcount
    db.session.commit()
    if claimed != 1:
        raise PushError(_("该群发已发送或正在发送"))
    db.session.refresh(job)
    audience = {"is_to_all": True} if job.target == TARGET_ALL else {"is_to_all": False, "tag_id": job.tag_id}
    body = {"filter": audience, **message_of(job), "send_ignore_reprint": 0,
            "clientmsgid": f"mass-push-{job.id}-{job.created_at:%Y%m%d%H%M%S}"}
    try:
        answer = get_client().post("message/mass/sendall", data=body)
    except WeChatClientException as exc:
        if exc.errcode == DUPLICATE_CLIENT_MSG_ID:  # an earlier call went through; its answer was lost
            job.result = _("微信已受理过此群发（重复提交已忽略）")
            db.session.commit()
            return
        raise _release(job, _describe(exc)) from None
    except requests.RequestException as exc:
        raise _release(job, _describe(exc)) from None
    job.msg_id = str(answer.get("msg_id", ""))[:32] or None
    job.result = RESULT_SENT
    db.session.commit()
    job_report.apply_held([job.msg_id])  # WeChat's report, if it came before this commit
    log.info("mass push %s sent to %s (msg_id %s)", job.id, job.target, job.msg_id)


def _release(job: MassPush, reason: str) -> PushError:
    """The send failed: free the job for another try (clientmsgid keeps a repeat from sending twice)."""
    job.sent_at = None
    job.result = _("群发失败：%(reason)s", reason=reason)[:300]
    db.session.commit()
    return PushError(job.result)


# -- the 4-a-month rule, counted by the service --------------------------------------------------------

@dataclass(frozen=True)
class MonthQuota:
    """This Beijing calendar month's 群发 as the service sent them, seen from one target."""

    month: str  # "2026-12", Asia/Shanghai
    to_all: int  # accepted sends to all followers this month
    to_tags: int  # accepted sends to any tag (the service does not know who has which tag)
    to_target: int  # sends that surely reached this target's followers: all + this same tag
    followers: int  # followers the service knows (subscribe events), following now
    followers_full: int  # of them, how many surely received 4 already (all-follower sends since they followed)

    @property
    def at_most(self) -> int:
        """The most any targeted follower can have received this month (tag sends may have reached them)."""
        return self.to_all + self.to_tags

    @property
    def left(self) -> int:
        """Mass messages this target's followers surely still may receive this month."""
        return max(0, MASS_PER_MONTH - self.to_target)

    @property
    def needs_confirmation(self) -> bool:
        """Some targeted followers may be at 4 already: WeChat will filter them out of this send."""
        return self.at_most >= MASS_PER_MONTH

    @property
    def exhausted(self) -> bool:
        """Every follower of the target surely received 4 already: WeChat would filter all of them."""
        return self.to_target >= MASS_PER_MONTH


def month_window(now: datetime | None = None) -> tuple[datetime, datetime, str]:
    """(start, end) in naive UTC of the Beijing calendar month around `now` (naive UTC), and "YYYY-MM"."""
    local = (now or utcnow()).replace(tzinfo=UTC).astimezone(WECHAT_MONTH_TZ)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None),
            f"{start:%Y-%m}")


def month_quota(target: str, now: datetime | None = None) -> MonthQuota:
    """Count this month's accepted sends (sent_at set: WeChat accepted it, or it is being sent)."""
    start, end, month = month_window(now)
    this_month = (MassPush.sent_at >= start, MassPush.sent_at < end)
    counts = dict(db.session.execute(
        select(MassPush.target, func.count()).where(*this_month).group_by(MassPush.target)).all())
    to_all = counts.get(TARGET_ALL, 0)
    to_tags = sum(n for key, n in counts.items() if key != TARGET_ALL)
    to_target = to_all + (counts.get(target, 0) if target != TARGET_ALL else 0)
    all_sends = list(db.session.execute(
        select(MassPush.sent_at).where(*this_month, MassPush.target == TARGET_ALL)).scalars())
    followers, full = 0, 0
    if all_sends:
        rows = db.session.execute(select(Follower.subscribed_at).where(Follower.subscribed.is_(True))).scalars()
        for subscribed_at in rows:
            followers += 1
            received = sum(1 for at in all_sends if subscribed_at is None or at >= subscribed_at)
            full += received >= MASS_PER_MONTH
    else:
        followers = db.session.execute(
            select(func.count()).select_from(Follower).where(Follower.subscribed.is_(True))).scalar_one()
    return MonthQuota(month, to_all, to_tags, to_target, followers, full)


def check_quota(job: MassPush, confirmed: bool) -> MonthQuota:
    """PushError when this send would reach followers already at 4 this month and nobody confirmed it."""
    quota = month_quota(job.target)
    if quota.needs_confirmation and not confirmed:
        if quota.exhausted:
            raise PushError(_("本月（北京时间 %(month)s）已向该对象群发 %(n)s/%(max)s 次：微信会过滤掉每一位已收满 "
                              "%(max)s 条的关注用户。如确需发送，请勾选「确认已收满的关注用户将被过滤」",
                              month=quota.month, n=quota.to_target, max=MASS_PER_MONTH))
        raise PushError(_("本月（北京时间 %(month)s）已群发 %(n)s 次（其中按标签 %(tags)s 次），部分关注用户可能已收满 "
                          "%(max)s 条，会被微信过滤。如确需发送，请勾选「确认已收满的关注用户将被过滤」",
                          month=quota.month, n=quota.at_most, tags=quota.to_tags, max=MASS_PER_MONTH))
    return quota


# -- 双人复核 ----------------------------------------------------------------------------------------------

def submit_for_review(job: MassPush, staff_username: str, confirm_filtered: bool) -> None:
    """The author sends the previewed job to review (待复核); the caller commits."""
    if job.sent_at is not None:
        raise PushError(_("该群发已发送，不会重复发送"))
    if job.review_status is not None:
        raise PushError(_("该群发已提交复核（当前：%(state)s）", state=dual_control.label(job.review_status)))
    if job.previewed_at is None:
        raise PushError(_("请先发送预览到您本人的微信并确认内容，再提交复核"))
    check_quota(job, confirm_filtered)
    job.confirmed_filtered = bool(confirm_filtered)
    job.review_status, job.submitted_by, job.submitted_at = dual_control.PENDING, staff_username, utcnow()
    job.result = _("待复核")


def check_may_review(job: MassPush, reviewer: str, is_head_office: bool) -> None:
    dual_control.check_reviewer((job.created_by, job.submitted_by), reviewer, is_head_office)
    if job.review_status == dual_control.APPROVED and job.sent_at is None:
        return  # approved, but the send failed: the reviewer may try it again
    dual_control.check_pending(job.review_status)


# Checks other features add (Feature.setup) that run before a reviewed job is sent, after every check of
# this module: each is called with the job, may raise PushError (nothing is sent, the job stays as it was)
# and may prepare the audience (the marketing feature re-selects a segment and sets its WeChat tag).
BEFORE_SEND: list = []


def add_before_send(check) -> None:
    if check not in BEFORE_SEND:
        BEFORE_SEND.append(check)


def approve_and_send(job: MassPush, reviewer: str, is_head_office: bool, brand: Brand,
                     confirm_filtered: bool = False) -> None:
    """A second head-office admin approves: the job is sent (commits). ReviewRefused for the author;
    PushError when the send is refused or WeChat fails (the job stays approved, to be tried again)."""
    check_may_review(job, reviewer, is_head_office)
    _check_sendable(job, brand)
    check_quota(job, job.confirmed_filtered or confirm_filtered)
    for check in BEFORE_SEND:
        check(job)
    if confirm_filtered:
        job.confirmed_filtered = True
    job.review_status, job.reviewed_by, job.reviewed_at = dual_control.APPROVED, reviewer, utcnow()
    db.session.commit()
    send_for_real(job, brand)


def reject(job: MassPush, reviewer: str, is_head_office: bool, reason: str | None) -> None:
    """The reviewer refuses the job with a reason (final: a new job is made for a new try); the caller commits."""
    dual_control.check_reviewer((job.created_by, job.submitted_by), reviewer, is_head_office)
    dual_control.check_pending(job.review_status)
    try:
        text = dual_control.clean_reason(reason)
    except ValueError as exc:
        raise PushError(str(exc)) from None
    job.review_status, job.reviewed_by, job.reviewed_at = dual_control.REJECTED, reviewer, utcnow()
    job.review_reason = text
    job.result = _("已驳回：%(reason)s", reason=text)[:300]
