"""One 群发 job: the announcement text fixed when the job is made, its preview and its real send."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...shared.dual_control import ReviewColumns
from ...shared.timeutil import utcnow
from ..products.service import WealthProduct

TARGET_ALL = "all"
TAG_PREFIX = "tag:"  # "tag:12": the followers with WeChat user tag 12


class MassPush(ReviewColumns, db.Model):
    __tablename__ = "mass_push"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("wealth_product.id"), index=True)  # a product's text
    media_id: Mapped[str | None] = mapped_column(String(128))  # or an article: a draft's media_id (mpnews)
    target: Mapped[str] = mapped_column(String(32))  # "all" | "tag:<id>"
    content: Mapped[str] = mapped_column(Text)  # the text message, exactly as previewed and sent
    preview_openid: Mapped[str | None] = mapped_column(String(64))
    previewed_at: Mapped[datetime | None] = mapped_column(DateTime)  # the last successful preview
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)  # set while sending and once WeChat accepted it
    msg_id: Mapped[str | None] = mapped_column(String(32), index=True)  # WeChat's msg_id of the mass send
    result: Mapped[str | None] = mapped_column(String(300))  # the outcome of the last call, for people
    created_by: Mapped[str | None] = mapped_column(String(64))  # staff username
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_filtered: Mapped[bool] = mapped_column(Boolean, default=False)  # staff accepted the 4-a-month filter
    # WeChat's MASSSENDJOBFINISH report (features/pushes/job_report.py)
    job_status: Mapped[str | None] = mapped_column(String(32))  # "send success" | "send fail" | "err(num)"
    total_count: Mapped[int | None] = mapped_column(Integer)  # followers targeted
    filter_count: Mapped[int | None] = mapped_column(Integer)  # left to send to after WeChat's filters
    sent_count: Mapped[int | None] = mapped_column(Integer)
    error_count: Mapped[int | None] = mapped_column(Integer)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)

    product: Mapped[WealthProduct | None] = relationship()

    @property
    def tag_id(self) -> int | None:
        return int(self.target[len(TAG_PREFIX):]) if self.target.startswith(TAG_PREFIX) else None

    def __repr__(self) -> str:
        return f"<MassPush {self.id} product={self.product_id} {self.target} sent={self.sent_at is not None}>"


class HeldMassReport(db.Model):
    """A MASSSENDJOBFINISH that came before the send's msg_id was written on its job (job_report.py).

    The send writes the msg_id after WeChat's answer; a report pushed in between waits here and is applied
    when the msg_id is written. Reports for a msg_id that never turns up (another system's send) are
    forgotten after HELD_DAYS."""

    __tablename__ = "mass_report_held"

    msg_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    job_status: Mapped[str] = mapped_column(String(32))
    total_count: Mapped[int | None] = mapped_column(Integer)
    filter_count: Mapped[int | None] = mapped_column(Integer)
    sent_count: Mapped[int | None] = mapped_column(Integer)
    error_count: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
