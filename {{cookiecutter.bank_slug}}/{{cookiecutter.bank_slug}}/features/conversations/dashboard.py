"""The dashboard's 人工服务 cards: open conversations and those waiting for an answer; over the dashboard's days
the median first-response and resolution times (minutes) and the average rating (a branch: its own)."""

from ...admin.stats import Figure, Stat
from ...shared.i18n import _
from .service import dashboard_figures


def panels(branch_code: str | None, days) -> list:
    figures = dashboard_figures(branch_code, len(days))
    waiting = figures["waiting"]
    first, resolved = figures["first_response_minutes"], figures["resolution_minutes"]
    return [
        Stat(_("人工服务"), (Figure(figures["open"], "conversations-open"),
                            Figure(waiting, "conversations-waiting", "text-danger" if waiting else "")),
             _("进行中 / 待回复")),
        Stat(_("人工服务时效（分钟）"), (Figure(first if first is not None else 0, "conversations-first-response"),
                                 Figure(resolved if resolved is not None else 0, "conversations-resolution")),
             _("首次响应 / 解决用时（中位数，近 %(n)d 天）；满意度 %(rating)s", n=len(days),
               rating=figures["rating"] if figures["rating"] is not None else "-")),
    ]
