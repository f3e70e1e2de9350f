"""The staff feature's dashboard panel, for head office only: staff accounts locked now after wrong
passwords in a row (admin/auth.py), with the way to lift the lock."""

from sqlalchemy import func, select

from ...admin.models import StaffUser
from ...admin.stats import Figure, Stat
from ...extensions import db
from ...shared.i18n import _
from ...shared.timeutil import utcnow


def panels(branch_code: str | None, days) -> list:
    if branch_code is not None:  # a branch operator's dashboard: not theirs to see
        return []
    locked = db.session.scalar(select(func.count(StaffUser.id)).where(StaffUser.locked_until > utcnow()))
    return [Stat(_("登录锁定中的员工账号"), (Figure(locked, "locked-staff", "text-danger" if locked else ""),),
                 _("连续输错密码被锁定；可在「员工账号」中解除") if locked else "")]
