"""The dashboard (the /admin index): bound customers, alerts delivered / failed and transfers per day, scoped
to the operator's branch (the whole bank for head office)."""

from flask_admin import expose

from . import stats
from .base import StaffIndexView, current_staff, is_head_office, staff_branch_code
from .charts import stacked_bars


class DashboardView(StaffIndexView):
    @expose("/")
    def index(self):
        staff = current_staff()
        branch_code = None if is_head_office(staff) else (staff_branch_code() or "")
        days = stats.last_days()
        users, cards = stats.bound_customers(branch_code)
        transfers = stats.transfers_per_day(branch_code, days)
        alerts = stats.alerts_per_day(branch_code, days)
        return self.render(
            "admin/dashboard.html",
            staff=staff,
            branch=None if is_head_office(staff) else staff.branch,
            bound_users=users,
            bound_cards=cards,
            alert_totals=stats.totals(alerts) if alerts is not None else None,
            alerts_chart=stacked_bars(alerts) if alerts is not None else None,
            alerts_days=alerts,
            transfers_chart=stacked_bars(transfers),
            transfers_days=transfers,
            transfers_total=sum(d.total for d in transfers),
            days=stats.DAYS,
        )
