"""双人复核 (dual control): what goes out to every follower — a 群发 or a custom menu — is submitted by one
staff member and approved by another before it is sent or published.

A row under review carries `review_status`: None (a draft, never submitted), "pending" (待复核), "approved"
(复核通过: then sent or published) or "rejected" (已驳回, with the reviewer's reason), with who submitted it
and who reviewed it. The reviewer must be a head-office admin other than the author; `check_reviewer`
refuses anyone else with a clear message (the admin pages answer 403). Both steps are audited by the pages.
"""

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from .errors import DomainError
from .i18n import _, _l

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
LABELS = {PENDING: _l("待复核"), APPROVED: _l("复核通过"), REJECTED: _l("已驳回")}
MAX_REASON_CHARS = 200


class ReviewRefused(DomainError):
    """The staff member may not review this item (their own, or not a head-office admin)."""

    code, message = "review_refused", _l("您不能复核这一项")


class ReviewStateError(DomainError):
    """The item is not waiting for review (never submitted, or already reviewed)."""

    code, message = "review_not_pending", _l("该项不在待复核状态")


def label(status: str | None) -> str:
    return str(LABELS.get(status, _("草稿"))) if status else _("草稿")


def check_reviewer(authors, reviewer: str, reviewer_is_head_office: bool) -> None:
    """ReviewRefused unless `reviewer` is a head-office admin and none of `authors` (who made the item and who
    submitted it: neither may approve it)."""
    if not reviewer_is_head_office:
        raise ReviewRefused(_("只有总行管理员可以复核"))
    names = [name for name in authors if name]
    if reviewer in names:
        raise ReviewRefused(_("双人复核：提交人（%(author)s）不能复核自己提交的内容，请由另一位总行管理员复核",
                              author="、".join(dict.fromkeys(names))))


def check_pending(status: str | None) -> None:
    if status != PENDING:
        raise ReviewStateError(_("该项不在待复核状态（当前：%(state)s）", state=label(status)))


def clean_reason(raw: str | None) -> str:
    """The rejection reason, required and at most MAX_REASON_CHARS; ReviewStateError-free ValueError text."""
    text = " ".join((raw or "").split())
    if not text:
        raise ValueError(_("请填写驳回原因"))
    if len(text) > MAX_REASON_CHARS:
        raise ValueError(_("驳回原因最多 %(n)s 个字", n=MAX_REASON_CHARS))
    return text


class ReviewColumns:
    """The review columns, mixed into a model (mass_push, wechat_menu_version)."""

    review_status: Mapped[str | None] = mapped_column(String(16))  # None | pending | approved | rejected
    submitted_by: Mapped[str | None] = mapped_column(String(64))  # staff username
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_reason: Mapped[str | None] = mapped_column(String(MAX_REASON_CHARS))  # why it was rejected
