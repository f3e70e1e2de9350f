"""Versions of the custom menu edited in the admin panel: each save is a new row, never changed but for
the outcome of publishing it."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.dual_control import ReviewColumns
from ...shared.timeutil import utcnow


class MenuVersion(ReviewColumns, db.Model):
    __tablename__ = "wechat_menu_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    menu_json: Mapped[str] = mapped_column(Text)  # as staff saved it (relative /h5/... URLs allowed)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))  # staff username
    published_at: Mapped[datetime | None] = mapped_column(DateTime)  # set when WeChat accepted it
    publish_result: Mapped[str | None] = mapped_column(String(300))  # "ok" or WeChat's errcode and message

    def __repr__(self) -> str:
        return f"<MenuVersion {self.id} published={self.published_at is not None}>"
