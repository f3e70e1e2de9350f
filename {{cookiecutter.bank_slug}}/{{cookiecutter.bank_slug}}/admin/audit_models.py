"""The admin audit log: one row per write made through the admin panel, and per login, logout and failed
login. Rows are only ever added; the panel shows them read-only (no edit, no delete)."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..shared.timeutil import utcnow


class AuditLog(db.Model):
    __tablename__ = "admin_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no foreign key: the log outlives accounts
    staff_username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))  # create | update | delete | login | logout | login_failed | ...
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[str | None] = mapped_column(Text)  # JSON, PII masked
    after: Mapped[str | None] = mapped_column(Text)  # JSON, PII masked
    ip: Mapped[str] = mapped_column(String(45), default="")

    def __repr__(self) -> str:
        return f"<AuditLog {self.id} {self.action} {self.target_type}:{self.target_id}>"


class LoginFailure(db.Model):
    """A failed admin login, kept 15 minutes for the captcha rule (in the database so every worker sees it)."""

    __tablename__ = "admin_login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)  # as typed, lower-cased, cut to 64
    ip: Mapped[str] = mapped_column(String(45), index=True)
