"""The dashboard (the /admin index): the installed features' panels (bound customers, transfers and alerts per
day, ...), scoped to the operator's branch (the whole bank for head office)."""

from flask import current_app
from flask_admin import expose

from ..feature import dashboard_modules
from . import stats
from .base import StaffIndexView, current_staff, is_head_office, staff_branch_code
from .charts import stacked_bars


class DashboardView(StaffIndexView):
    @expose("/")
    def index(self):
        staff = current_staff()
        branch_code = None if is_head_office(staff) else (staff_branch_code() or "")
        days = stats.last_days()
        panels = [panel for module in dashboard_modules(current_app) for panel in module.panels(branch_code, days)]
        charts = [panel for panel in panels if isinstance(panel, stats.DailyChart)]
        return self.render(
            "admin/dashboard.html",
            staff=staff,
            branch=None if is_head_office(staff) else staff.branch,
            stats=[panel for panel in panels if isinstance(panel, stats.Stat)],
            charts=[(chart, stacked_bars(chart.days)) for chart in charts],
            day_rows=[(day, [chart.days[i] for chart in charts]) for i, (day, _s, _e) in enumerate(days)][::-1],
            days=stats.DAYS,
        )
