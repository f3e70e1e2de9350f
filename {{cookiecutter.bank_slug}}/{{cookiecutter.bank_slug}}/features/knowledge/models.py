"""A knowledge-base entry, a question nobody could answer yet, and the choices last offered to a customer."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.timeutil import utcnow

STATUS_OPEN = "open"  # waiting for staff
STATUS_ADDED = "added"  # staff added an entry that answers it
STATUS_DISMISSED = "dismissed"  # not a question the knowledge base should answer
STATUSES = (STATUS_OPEN, STATUS_ADDED, STATUS_DISMISSED)


class KnowledgeEntry(db.Model):
    __tablename__ = "knowledge_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(100))  # as shown in 您是不是想问
    synonyms: Mapped[str] = mapped_column(Text, default="")  # other ways to ask it, one a line
    answer: Mapped[str] = mapped_column(String(600))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)  # times it was the answer given
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))  # staff username

    def phrasings(self) -> list[str]:
        return [self.question, *(line.strip() for line in (self.synonyms or "").splitlines() if line.strip())]

    def __repr__(self) -> str:
        return f"<KnowledgeEntry {self.id} {self.question!r}>"


class UnansweredQuestion(db.Model):
    """Free text the knowledge base had no answer for, masked (shared.masking.scrub) and counted."""

    __tablename__ = "knowledge_unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the masked text
    times: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_OPEN, index=True)
    first_asked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_asked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KnowledgeChoice(db.Model):
    """The entries last offered to an openid as 您是不是想问 1-3; a reply of 1, 2 or 3 picks one."""

    __tablename__ = "knowledge_choice"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    entry_ids: Mapped[str] = mapped_column(String(64))  # "12,3,7"
    offered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
