"""The alerts feature's dashboard panels: alerts that ended per day, delivered (WeChat or SMS) vs failed."""

from ...admin import stats
from ...shared.i18n import _
from ..binding.service import branch_account_ids
from .models import DELIVERED, EXPIRED, SMS, UNDELIVERABLE, Alert

DELIVERED_STATES = (DELIVERED, SMS)
FAILED_STATES = (UNDELIVERABLE, EXPIRED)


def alerts_of(branch_code: str):
    """Alerts of the accounts ever bound at this branch."""
    return Alert.account_id.in_(branch_account_ids(branch_code))


def alerts_per_day(branch_code: str | None, days=None) -> list[stats.DayCount]:
    days = days or stats.last_days()
    where = [] if branch_code is None else [alerts_of(branch_code)]
    return stats.daily(Alert.finished_at, Alert.state.in_(DELIVERED_STATES), Alert.state.in_(FAILED_STATES), where,
                       days)


def panels(branch_code: str | None, days) -> list:
    per_day = alerts_per_day(branch_code, days)
    delivered, failed = stats.totals(per_day)
    return [
        stats.Stat(_("近 %(n)d 天动账提醒 已送达 / 未送达", n=len(days)),
                   (stats.Figure(delivered, "alerts-delivered", "text-success"),
                    stats.Figure(failed, "alerts-failed", "text-danger")),
                   _("已送达含短信补发；未送达含已过期")),
        stats.DailyChart(_("近 %(n)d 天每日动账提醒", n=len(days)), _("已送达"), _("未送达"), _("提醒已送达"),
                         _("提醒未送达"), "#28a745", "#dc3545", "alerts-chart", per_day),
    ]
