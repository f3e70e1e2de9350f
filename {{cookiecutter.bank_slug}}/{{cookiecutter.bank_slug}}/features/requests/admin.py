"""The branch queues of requests: 贷款申请 (loan applications, filtered by status, each moved along its legal
transitions with a note) and 办卡预约 (the day's appointments per branch, marked arrived / no-show, with the
branch's weekly slots and closed days); 贷款产品 (the loan products customers choose from, head office).
A branch operator sees and changes only their branch's requests, slots and closed days; head office sees all.
Every change is audited and notified to the customer (service.py)."""

from datetime import date

from flask import abort, flash, redirect, request
from flask_admin import expose
from sqlalchemy import select
from wtforms.validators import ValidationError

from ...admin.base import (
    CATEGORY_BUSINESS,
    MAX_ROW_ID,
    StaffModelView,
    StaffView,
    current_staff,
    is_head_office,
    staff_branch_code,
)
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.money import format_yuan
from . import service
from .models import (
    APPROVED,
    CONTACTED,
    DECLINED,
    IN_REVIEW,
    KIND_CARD,
    KIND_LOAN,
    RECEIVED,
    STATUS_LABELS,
    WITHDRAWN,
    AppointmentSlot,
    BranchRequest,
    ClosedDay,
    RequestProduct,
)
from .service import STAFF_TRANSITIONS, RequestError

LIST_LIMIT = 200
MAX_LOAN_FEN = 10_000_000_000  # 100,000,000.00 yuan: far above any product, far within BIGINT
LOAN_STATUSES = (RECEIVED, CONTACTED, IN_REVIEW, APPROVED, DECLINED, WITHDRAWN)
WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))


def _scoped(query, column):
    if is_head_office():
        return query
    code = staff_branch_code()
    return query.where(column == code) if code else query.where(False)


def _branches():
    query = select(Branch).where(Branch.closed_at.is_(None)).order_by(Branch.code)
    if not is_head_office():
        query = query.where(Branch.code == (staff_branch_code() or ""))
    return list(db.session.scalars(query))


def _own_request(request_id: int, kind: str) -> BranchRequest:
    found = None
    if request_id <= MAX_ROW_ID:
        found = db.session.scalar(_scoped(select(BranchRequest).where(BranchRequest.id == request_id,
                                                                      BranchRequest.kind == kind),
                                          BranchRequest.branch_code))
    if found is None:
        abort(404)
    return found


class LoanQueueView(StaffView):
    def _page(self, errors=(), status: int = 200):
        wanted = request.args.get("status", "")
        query = select(BranchRequest).where(BranchRequest.kind == KIND_LOAN)
        if wanted in STATUS_LABELS:
            query = query.where(BranchRequest.status == wanted)
        rows = list(db.session.scalars(_scoped(query, BranchRequest.branch_code)
                                       .order_by(BranchRequest.id.desc()).limit(LIST_LIMIT)))
        return self.render("admin/requests_loans.html", rows=rows, statuses=STATUS_LABELS, wanted=wanted,
                           transitions=STAFF_TRANSITIONS, errors=list(errors), yuan=format_yuan,
                           loan_statuses=LOAN_STATUSES), status

    @expose("/")
    def index(self):
        return self._page()

    @expose("/<int:request_id>/status", methods=("POST",))
    def set_status(self, request_id: int):
        found = _own_request(request_id, KIND_LOAN)
        try:
            service.change_status(found, request.form.get("status", ""), request.form.get("note", ""),
                                  current_staff())
        except RequestError as exc:
            db.session.rollback()
            return self._page([f"{found.reference}: {exc.message}"], 400)
        db.session.commit()
        flash(_("%(ref)s 已改为“%(status)s”，已通知客户。", ref=found.reference, status=STATUS_LABELS[found.status]),
              "success")
        return redirect(self.get_url(".index"), 303)


class AppointmentView(StaffView):
    def _day(self) -> date:
        try:
            return date.fromisoformat((request.values.get("day") or "")[:10])
        except ValueError:
            return service.bank_today()

    def _branch_code(self) -> str:
        branches = _branches()
        wanted = request.values.get("branch", "")
        chosen = next((b for b in branches if b.code == wanted), branches[0] if branches else None)
        return chosen.code if chosen else ""

    def _page(self, errors=(), status: int = 200):
        day, code = self._day(), self._branch_code()
        rows = list(db.session.scalars(select(BranchRequest).where(
            BranchRequest.kind == KIND_CARD, BranchRequest.day == day, BranchRequest.branch_code == code)
            .order_by(BranchRequest.slot_id, BranchRequest.id))) if code else []
        slots = list(db.session.scalars(select(AppointmentSlot).where(AppointmentSlot.branch_code == code)
                                        .order_by(AppointmentSlot.weekday, AppointmentSlot.starts)))
        closed = list(db.session.scalars(select(ClosedDay).where(
            (ClosedDay.branch_code == code) | ClosedDay.branch_code.is_(None), ClosedDay.day >= service.bank_today())
            .order_by(ClosedDay.day)))
        return self.render("admin/requests_appointments.html", rows=rows, day=day, code=code, branches=_branches(),
                           slots=slots, closed=closed, statuses=STATUS_LABELS, weekdays=WEEKDAYS,
                           errors=list(errors), head_office=is_head_office()), status

    def _back(self):
        return redirect(self.get_url(".index", day=self._day().isoformat(), branch=self._branch_code()), 303)

    @expose("/")
    def index(self):
        return self._page()

    @expose("/<int:request_id>/status", methods=("POST",))
    def set_status(self, request_id: int):
        found = _own_request(request_id, KIND_CARD)
        try:
            service.change_status(found, request.form.get("status", ""), request.form.get("note", ""),
                                  current_staff())
        except RequestError as exc:
            db.session.rollback()
            return self._page([f"{found.reference}: {exc.message}"], 400)
        db.session.commit()
        flash(_("%(ref)s 已改为“%(status)s”。", ref=found.reference, status=STATUS_LABELS[found.status]), "success")
        return self._back()

    @expose("/slots", methods=("POST",))
    def add_slot(self):
        try:
            service.add_slot(self._branch_code(), request.form)
        except RequestError as exc:
            db.session.rollback()
            return self._page([exc.message], 400)
        db.session.commit()
        flash(_("已添加预约时段。"), "success")
        return self._back()

    @expose("/slots/<int:slot_id>/active", methods=("POST",))
    def slot_active(self, slot_id: int):
        slot = db.session.scalar(_scoped(select(AppointmentSlot).where(AppointmentSlot.id == slot_id),
                                         AppointmentSlot.branch_code)) if slot_id <= MAX_ROW_ID else None
        if slot is None:
            abort(404)
        service.set_slot_active(slot, request.form.get("active") == "1")
        db.session.commit()
        return self._back()

    @expose("/closed", methods=("POST",))
    def add_closed(self):
        everywhere = is_head_office() and request.form.get("everywhere") == "1"
        try:
            service.add_closed_day(None if everywhere else self._branch_code(), request.form, service.bank_today())
        except RequestError as exc:
            db.session.rollback()
            return self._page([exc.message], 400)
        db.session.commit()
        flash(_("已设为不营业日。"), "success")
        return self._back()


class RequestProductView(StaffModelView):
    head_office_only = True
    can_delete = False
    column_list = ("name", "min_fen", "max_fen", "max_term_months", "active", "sort_order")
    form_columns = ("name", "min_fen", "max_fen", "max_term_months", "active", "sort_order")
    column_labels = {"name": _l("产品名称"), "min_fen": _l("最低金额（分）"), "max_fen": _l("最高金额（分）"),
                     "max_term_months": _l("最长期限（月）"), "active": _l("可申请"), "sort_order": _l("排序")}

    def on_model_change(self, form, model, is_created):
        if not model.name or not model.name.strip():
            raise ValidationError(_("请填写产品名称。"))
        if model.min_fen is None or model.max_fen is None or not 0 < model.min_fen <= model.max_fen <= MAX_LOAN_FEN:
            raise ValidationError(_("金额范围须为正数（最高 1 亿元），且最低金额不高于最高金额。"))
        if model.max_term_months is None or not 1 <= model.max_term_months <= service.MAX_TERM_MONTHS:
            raise ValidationError(_("最长期限须为 1 到 360 个月。"))
        super().on_model_change(form, model, is_created)


def add_views(admin) -> None:
    admin.add_view(LoanQueueView(name=_l("贷款申请"), endpoint="request_loans", category=CATEGORY_BUSINESS))
    admin.add_view(AppointmentView(name=_l("办卡预约"), endpoint="request_appointments", category=CATEGORY_BUSINESS))
    admin.add_view(RequestProductView(RequestProduct, name=_l("贷款产品"), endpoint="request_products",
                                      category=CATEGORY_BUSINESS))

