"""投诉处理: the head-office queue (all complaints, the unassigned first), assignment to a branch, and for the
branch its own complaints only; a complaint's page with the clock (days left, overdue in red), the thread, and
the steps (reply, extension, decision); the monthly CSV report (head office). Every step is audited in the
same commit as the change (service.py)."""

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from sqlalchemy import case, select

from ...admin import audit
from ...admin.base import CATEGORY_BUSINESS, StaffView, current_staff, is_head_office, staff_branch_id
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ...shared.timeutil import local_time
from . import service
from .models import OPEN_STATUSES, RECEIVED, STATUSES, Complaint

LIST_LIMIT = 300


class ComplaintQueueView(StaffView):
    """Head office and branch operators; a branch sees only the complaints assigned to it."""

    def _scoped(self, query):
        if is_head_office():
            return query
        branch_id = staff_branch_id()
        return query.where(Complaint.branch_id == branch_id) if branch_id is not None else query.where(False)

    def _branches(self):
        return list(db.session.scalars(select(Branch).where(Branch.closed_at.is_(None)).order_by(Branch.code)))

    def _context(self) -> dict:
        return {"categories": service.CATEGORIES, "status_labels": service.STATUS_LABELS,
                "channels": service.CONTACT_CHANNELS, "times": service.CONTACT_TIMES, "local": local_time,
                "deadline": service.deadline, "days_left": service.days_left, "is_overdue": service.is_overdue,
                "mask_openid": mask_openid, "today": service.today()}

    @expose("/")
    def index(self):
        status = request.args.get("status", "")
        query = self._scoped(select(Complaint))
        if status in STATUSES:
            query = query.where(Complaint.status == status)
        elif status != "all":
            status = "open"
            query = query.where(Complaint.status.in_(OPEN_STATUSES))
        query = query.order_by(case((Complaint.status == RECEIVED, 0), else_=1), Complaint.clock_start,
                               Complaint.id).limit(LIST_LIMIT)
        complaints = list(db.session.scalars(query))
        return self.render("admin/complaints_queue.html", complaints=complaints, status=status,
                           statuses=STATUSES, head_office=is_head_office(), month=f"{service.today():%Y-%m}",
                           **self._context())

    def _complaint(self, complaint_id):
        try:
            return service.staff_complaint(current_staff(), complaint_id)
        except service.ComplaintNotFound:
            abort(404)

    def _detail(self, complaint, error=None, status: int = 200, form: dict | None = None):
        return self.render("admin/complaints_detail.html", complaint=complaint, error=error, form=form or {},
                           branches=self._branches(), head_office=is_head_office(),
                           extensions=service.EXTENSIONS, **self._context()), status

    @expose("/<complaint_id>")
    def detail(self, complaint_id):
        return self._detail(self._complaint(complaint_id))

    def _step(self, complaint_id, action, done: str):
        complaint = self._complaint(complaint_id)
        form = {key: request.form.get(key, "") for key in ("body", "days", "reason", "branch_id")}
        try:
            action(complaint, form)
        except service.ComplaintRefused as exc:
            db.session.rollback()
            return self._detail(self._complaint(complaint_id), exc, 400, form)
        except service.ComplaintStateRefused as exc:
            db.session.rollback()
            return self._detail(self._complaint(complaint_id), exc, 409, form)
        flash(done, "success")
        return redirect(self.get_url(".detail", complaint_id=complaint.id), 303)

    @expose("/<complaint_id>/assign", methods=("POST",))
    def assign(self, complaint_id):
        return self._step(complaint_id, lambda c, f: service.assign(current_staff(), c, f["branch_id"]),
                          _("已分派。"))

    @expose("/<complaint_id>/reply", methods=("POST",))
    def reply(self, complaint_id):
        return self._step(complaint_id, lambda c, f: service.reply(current_staff(), c, f["body"]),
                          _("回复已发送给客户。"))

    @expose("/<complaint_id>/extend", methods=("POST",))
    def extend(self, complaint_id):
        return self._step(complaint_id, lambda c, f: service.extend(current_staff(), c, f["days"], f["reason"]),
                          _("已延长处理期限，并通知客户。"))

    @expose("/<complaint_id>/decide", methods=("POST",))
    def decide(self, complaint_id):
        return self._step(complaint_id, lambda c, f: service.decide(current_staff(), c, f["body"]),
                          _("处理决定已发送给客户。"))

    @expose("/report.csv")
    def report(self):
        """The monthly report by branch and category (head office: for regulatory reporting)."""
        if not is_head_office():
            abort(403)
        try:
            month = service.parse_month(request.args.get("month"))
        except service.ComplaintRefused as exc:
            return Response(f"month: {exc.message}\n", status=400, mimetype="text/plain")
        body = "\ufeff" + service.report_csv(month)  # the BOM: Excel opens the Chinese labels
        audit.record("export", "complaint_report", f"{month:%Y-%m}")  # who took the report
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="complaints-{month:%Y-%m}.csv"'})


def add_views(admin) -> None:
    admin.add_view(ComplaintQueueView(name=_l("投诉处理"), endpoint="complaints", category=CATEGORY_BUSINESS))
