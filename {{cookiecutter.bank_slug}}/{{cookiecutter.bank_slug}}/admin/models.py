"""Staff users of the admin panel: head-office admins and branch operators.

- `username_key` is the username normalised (NFKC, case-folded, zero-width and other format characters
  removed) and unique: "Admin", "ａｄｍｉｎ" and "ad\u200bmin" are one name, so a look-alike account cannot be
  created beside the real one, and the login finds the account whichever way the name is typed.
- `session_version` is copied into the staff member's session at login; the Flask-Login loader refuses a
  session whose copy differs. Logout, a new password, deactivation, a role or branch change bump it (a mapper
  event, whatever code path changes the row), which ends every session of that account server-side,
  including copies of its cookie taken before.
- `failed_logins` / `locked_until`: the lock-out of auth.py (ADMIN_LOCKOUT_FAILURES wrong passwords in a
  row lock the account for ADMIN_LOCKOUT_MINUTES, until head office unlocks it or the time runs out).
"""

import unicodedata
from datetime import datetime

from flask import session
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..core_banking.models import Branch
from ..extensions import db, login_manager
from ..shared.timeutil import utcnow

ROLE_HEAD_OFFICE = "head_office"
ROLE_BRANCH_OPERATOR = "branch_operator"
ROLES = (ROLE_HEAD_OFFICE, ROLE_BRANCH_OPERATOR)
MIN_PASSWORD_LENGTH = 10
SESSION_VERSION = "admin_sv"  # the account's session_version when this session logged in
ENDING_CHANGES = ("password_hash", "role", "branch_id", "active")  # columns whose change ends all sessions


def clean_username(text: str | None) -> str:
    """The username as stored: NFKC (full-width -> ASCII), without format characters (zero-width space,
    joiners, bidi marks: Unicode category Cf) or control characters, trimmed."""
    value = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cf", "Cc")).strip()


def username_key(text: str | None) -> str:
    """What makes two usernames the same: the cleaned name, case-folded (and NFKC again after folding)."""
    return unicodedata.normalize("NFKC", clean_username(text).casefold())


class StaffUser(UserMixin, db.Model):
    __tablename__ = "admin_staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    username_key: Mapped[str] = mapped_column(String(64), unique=True)  # username_key(username), set with it
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32), default=ROLE_BRANCH_OPERATOR)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("bank_branch.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    openid: Mapped[str | None] = mapped_column(String(64))  # the staff member's own WeChat: 群发 previews go there
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # wrong passwords in a row
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)  # UTC; None or past: not locked

    branch: Mapped[Branch | None] = relationship()

    @validates("username")
    def _keep_key(self, _name: str, value: str) -> str:
        # A name of the same normal form keeps its key (migration 0017 gave pre-existing look-alikes "key#id").
        if not self.username_key or username_key(value) != username_key(self.username):
            self.username_key = username_key(value)[:64]
        return value

    @property
    def is_active(self) -> bool:
        return self.active

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def end_sessions(self) -> None:
        """Every session of this account ends at its next request (logout, unlock, ...)."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"密码至少 {MIN_PASSWORD_LENGTH} 位 / at least {MIN_PASSWORD_LENGTH} characters")
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


@event.listens_for(StaffUser, "before_update")
def _end_sessions_on_change(_mapper, _connection, target: StaffUser) -> None:
    """A new password, deactivation, a role or branch change: the account's sessions end (the version goes
    up in the same UPDATE)."""
    state = inspect(target)
    if state.attrs.session_version.history.has_changes():
        return
    if any(state.attrs[name].history.has_changes() for name in ENDING_CHANGES) or \
            state.attrs.branch.history.has_changes():
        target.end_sessions()


@login_manager.user_loader
def load_staff(user_id: str) -> StaffUser | None:
    """Flask-Login: the staff member of the session's user id, if the session is of the account's current
    session version (a session from before a logout, password change, ... is refused: anonymous)."""
    user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    if user is None or session.get(SESSION_VERSION) != (user.session_version or 0):
        return None
    return user
