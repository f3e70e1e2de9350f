"""Staff users of the admin panel: head-office admins and branch operators."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..core_banking.models import Branch
from ..extensions import db, login_manager
from ..shared.timeutil import utcnow

ROLE_HEAD_OFFICE = "head_office"
ROLE_BRANCH_OPERATOR = "branch_operator"
ROLES = (ROLE_HEAD_OFFICE, ROLE_BRANCH_OPERATOR)
MIN_PASSWORD_LENGTH = 10


class StaffUser(UserMixin, db.Model):
    __tablename__ = "admin_staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32), default=ROLE_BRANCH_OPERATOR)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("bank_branch.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    openid: Mapped[str | None] = mapped_column(String(64))  # the staff member's own WeChat: 群发 previews go there

    branch: Mapped[Branch | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"密码至少 {MIN_PASSWORD_LENGTH} 位 / at least {MIN_PASSWORD_LENGTH} characters")
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


@login_manager.user_loader
def load_staff(user_id: str) -> StaffUser | None:
    """Flask-Login: the staff member of the session's user id."""
    return db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
