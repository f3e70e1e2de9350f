"""The dashboard's 投诉 card: complaints being handled and those past their deadline (a branch: its own)."""

from sqlalchemy import select

from ...admin.stats import Figure, Stat
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _
from .service import open_counts


def panels(branch_code: str | None, days) -> list:
    branch_id = None
    if branch_code is not None:
        branch_id = db.session.scalar(select(Branch.id).where(Branch.code == branch_code)) or -1
    handling, overdue = open_counts(branch_id)
    figures = (Figure(handling, "complaints-open"),
               Figure(overdue, "complaints-overdue", "text-danger" if overdue else ""))
    return [Stat(_("投诉"), figures,
                 _("处理中 / 已超期（15 日，延期至 30 或 60 日）"))]
