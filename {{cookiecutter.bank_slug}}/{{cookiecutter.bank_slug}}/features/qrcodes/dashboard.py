"""The dashboard's 关注来源 card: follows in the last 30 days by source (a branch's code, a staff member's, a
campaign's, and for head office those through no code of ours). A branch operator sees their branch's codes."""

from datetime import timedelta

from sqlalchemy import select

from ...admin.stats import Figure, Stat
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _
from ...shared.timeutil import utcnow
from .models import KIND_BRANCH, KIND_CAMPAIGN, KIND_STAFF
from .service import NO_CODE, follows_by_source

WINDOW_DAYS = 30


def panels(branch_code: str | None, days) -> list:
    since = utcnow() - timedelta(days=WINDOW_DAYS)
    head_office = branch_code is None
    branch_id = None if head_office else db.session.scalar(select(Branch.id).where(Branch.code == branch_code))
    counts = follows_by_source(branch_id, since, head_office=head_office)
    figures = [Figure(counts[KIND_BRANCH], "follows-branch"), Figure(counts[KIND_STAFF], "follows-staff"),
               Figure(counts[KIND_CAMPAIGN], "follows-campaign")]
    if head_office:
        figures.append(Figure(counts[NO_CODE], "follows-no-code"))
        note = _("近 30 天关注：网点 / 员工 / 活动二维码 / 未经二维码")
    else:
        note = _("近 30 天经本网点二维码关注：网点 / 员工 / 活动")
    return [Stat(_("关注来源"), tuple(figures), note)]
