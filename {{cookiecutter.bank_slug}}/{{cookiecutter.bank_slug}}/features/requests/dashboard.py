"""The requests feature's dashboard panel: open loan applications and booked appointments (in the branch or all)."""

from ...admin import stats
from ...shared.i18n import _
from .models import KIND_CARD, KIND_LOAN
from .service import open_counts


def panels(branch_code: str | None, days) -> list:
    counts = open_counts(branch_code)
    return [stats.Stat(_("待处理贷款申请 / 待到店办卡预约"), (stats.Figure(counts[KIND_LOAN], "requests-loans-open"),
                                                     stats.Figure(counts[KIND_CARD], "requests-cards-open")))]
