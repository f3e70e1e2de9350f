"""A staff-edited keyword reply rule."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.timeutil import utcnow

MATCH_EXACT = "exact"  # the whole message is the keyword
MATCH_CONTAINS = "contains"  # the keyword appears anywhere in the message
MATCHES = (MATCH_EXACT, MATCH_CONTAINS)


class KeywordReply(db.Model):
    """`keyword` is stored normalised (wechat.router.normalise), so it compares as the router compares."""

    __tablename__ = "keyword_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    keyword: Mapped[str] = mapped_column(String(32), unique=True)
    match: Mapped[str] = mapped_column(String(16), default=MATCH_EXACT)
    reply_text: Mapped[str] = mapped_column(String(600))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))  # staff username

    def __repr__(self) -> str:
        return f"<KeywordReply {self.id} {self.keyword!r} {self.match}>"
