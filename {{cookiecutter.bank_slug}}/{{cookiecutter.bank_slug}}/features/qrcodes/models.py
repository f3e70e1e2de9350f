"""The QR codes the bank had WeChat create, and the follows and scans that came through them."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.timeutil import utcnow

KIND_BRANCH, KIND_STAFF, KIND_CAMPAIGN = "branch", "staff", "campaign"
KINDS = (KIND_BRANCH, KIND_STAFF, KIND_CAMPAIGN)
EVENT_SUBSCRIBE, EVENT_SCAN = "subscribe", "scan"


class QrCode(db.Model):
    """One code: permanent (QR_LIMIT_STR_SCENE) for a branch or a staff member, temporary (QR_STR_SCENE,
    `expires_at`) for a campaign. `branch_id` is the branch whose operators see it (None: head office's)."""

    __tablename__ = "qrcode_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # branch | staff | campaign
    name: Mapped[str] = mapped_column(String(64))
    scene: Mapped[str] = mapped_column(String(64), index=True)  # scene_str, e.g. branch:0101
    action_name: Mapped[str] = mapped_column(String(32))  # QR_LIMIT_STR_SCENE | QR_STR_SCENE
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("bank_branch.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("admin_staff_user.id"))
    ticket: Mapped[str] = mapped_column(String(256), unique=True)
    url: Mapped[str] = mapped_column(String(256))  # what the image encodes (http://weixin.qq.com/q/...)
    expire_seconds: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC; None: permanent
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def permanent(self) -> bool:
        return self.expires_at is None


class QrScan(db.Model):
    """A follow (subscribe with EventKey qrscene_<scene>) or a scan by a follower (SCAN) through a code.
    `first_touch`: the first follow through any code by this openid (the follower's attribution)."""

    __tablename__ = "qrcode_scan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(16))  # subscribe | scan
    scene: Mapped[str] = mapped_column(String(64))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("qrcode_code.id"), index=True)  # None: unknown code
    first_touch: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
