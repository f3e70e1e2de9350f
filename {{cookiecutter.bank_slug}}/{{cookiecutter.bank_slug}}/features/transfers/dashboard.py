"""The transfers feature's dashboard panels: transfers sent to the core per day, succeeded vs failed or unknown."""

from ...admin import stats
from ...shared.i18n import _
from ..binding.service import branch_binding_ids
from .models import PENDING_SETTLEMENT, POSTED, TransferOrder

SUCCEEDED = (POSTED, PENDING_SETTLEMENT)


def transfers_of(branch_code: str):
    """Transfers paid from a card bound at this branch."""
    return TransferOrder.binding_id.in_(branch_binding_ids(branch_code))


def transfers_per_day(branch_code: str | None, days=None) -> list[stats.DayCount]:
    """Transfers sent to the core (PIN confirmed) per day: succeeded vs failed or not yet known."""
    days = days or stats.last_days()
    where = [TransferOrder.submitted_at.is_not(None)]
    if branch_code is not None:
        where.append(transfers_of(branch_code))
    ok = TransferOrder.status.in_(SUCCEEDED)
    return stats.daily(TransferOrder.submitted_at, ok, TransferOrder.status.not_in(SUCCEEDED), where, days)


def panels(branch_code: str | None, days) -> list:
    per_day = transfers_per_day(branch_code, days)
    return [
        stats.Stat(_("近 %(n)d 天转账笔数", n=len(days)), (stats.Figure(sum(d.total for d in per_day),
                                                                       "transfers-total"),)),
        stats.DailyChart(_("近 %(n)d 天每日转账", n=len(days)), _("成功"), _("失败或待确认"), _("转账成功"),
                         _("转账失败或待确认"), "", "#e0a030", "transfers-chart", per_day),
    ]
