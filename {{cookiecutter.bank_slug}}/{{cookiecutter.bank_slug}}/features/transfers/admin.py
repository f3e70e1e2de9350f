"""Transfers (转账记录): read-only list and detail, payee masked, scoped by the binding's branch; the limits
customers lowered for themselves (客户转账限额), which branch staff raise again at the customer's request,
never above the bank's, audited; and the review list (转账核实): transfers a fraud rule held, which staff release or
refuse after calling the customer, each decision audited in the commit that records it and told to the customer."""

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.form import BaseForm
from sqlalchemy import or_, select
from wtforms import StringField
from wtforms.validators import ValidationError

from ... import settings
from ...admin import audit
from ...admin.base import (
    CATEGORY_BUSINESS,
    MAX_ROW_ID,
    StaffModelView,
    StaffView,
    current_staff,
    staff_branch_code,
)
from ...admin.formatting import labelled, local_datetime, masked_card, masked_name, masked_openid, yuan
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid, mask_phone, scrub
from ...shared.money import AmountError, format_yuan, parse_yuan
from ...shared.timeutil import local_time, utcnow
from ..binding.service import binding_for, branch_openids
from . import safety
from .banks import bank_name
from .dashboard import transfers_of
from .limits import TransferLimits
from .models import (
    AWAITING_PIN,
    FAILED,
    HELD,
    PENDING_SETTLEMENT,
    POSTED,
    PROCESSING,
    REFUSED,
    REVOKED,
    UNCONFIRMED,
    UNDER_REVIEW,
    CustomerLimit,
    TransferOrder,
)
from .service import TransferRefused, review_order

STATUS_LABELS = {
    AWAITING_PIN: _l("待输入密码"),
    PROCESSING: _l("处理中"),
    POSTED: _l("已成功"),
    PENDING_SETTLEMENT: _l("已受理（跨行清算中）"),
    FAILED: _l("失败"),
    UNCONFIRMED: _l("结果待确认"),
    HELD: _l("待到账（可撤销）"),
    UNDER_REVIEW: _l("待核实"),
    REVOKED: _l("已撤销"),
    REFUSED: _l("核实后拒绝"),
}


def payee_bank(view, context, model, name):
    return bank_name(model.payee_bank, str(_l("本行")))


def scrubbed(view, context, model, name):
    return scrub(getattr(model, name, None) or "")


class TransferView(StaffModelView):
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "created_at", "from_card_masked", "payee_number", "payee_name", "payee_bank", "amount_fen",
                   "status")
    column_details_list = ("id", "created_at", "submitted_at", "finished_at", "openid", "from_card_masked",
                           "payee_number", "payee_name", "payee_bank", "amount_fen", "memo", "status", "failure_code",
                           "failure_message", "transfer_id", "arrival", "release_at", "new_payee", "review_rules",
                           "reviewed_by", "reviewed_at", "review_note")
    column_labels = {"id": _l("编号"), "created_at": _l("创建时间"), "submitted_at": _l("提交核心时间"),
                     "finished_at": _l("完成时间"), "openid": _l("微信用户"), "from_card_masked": _l("付款卡"),
                     "payee_number": _l("收款账号"), "payee_name": _l("收款人"), "payee_bank": _l("收款银行"),
                     "amount_fen": _l("金额（元）"), "memo": _l("附言"), "status": _l("状态"),
                     "failure_code": _l("失败代码"), "failure_message": _l("失败原因"), "transfer_id": _l("核心流水号"),
                     "arrival": _l("到账方式"), "release_at": _l("放行时间"), "new_payee": _l("新收款人"),
                     "review_rules": _l("命中规则"), "reviewed_by": _l("核实人"), "reviewed_at": _l("核实时间"),
                     "review_note": _l("核实情况")}
    column_formatters = {"created_at": local_datetime, "submitted_at": local_datetime, "finished_at": local_datetime,
                         "openid": masked_openid, "from_card_masked": masked_card, "payee_number": masked_card,
                         "payee_name": masked_name, "payee_bank": payee_bank, "amount_fen": yuan,
                         "memo": scrubbed, "status": labelled(STATUS_LABELS), "failure_message": scrubbed,
                         "arrival": labelled(safety.ARRIVAL_LABELS), "release_at": local_datetime,
                         "reviewed_at": local_datetime, "review_note": scrubbed,
                         "review_rules": lambda view, context, model, name: safety.rule_labels(model.review_rules)}
    column_sortable_list = ("id", "created_at", "amount_fen")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(TransferOrder.status, _l("状态"), options=tuple(STATUS_LABELS.items())),)
    search_hint = _l("编号、付款卡或收款账号后四位、核心流水号")

    def scope_query(self, query):
        code = staff_branch_code()
        return query.filter(transfers_of(code)) if code else super().scope_query(query)

    def search_clause(self, term):
        conditions = [TransferOrder.transfer_id == term]
        if term.isascii() and term.isdigit():
            if len(term) <= 10 and 0 < int(term) <= MAX_ROW_ID:
                conditions.append(TransferOrder.id == int(term))
            if len(term) == 4:
                conditions.append(TransferOrder.from_card_masked.endswith(term, autoescape=True))
                conditions.append(TransferOrder.payee_tail == term)  # payee_number is encrypted at rest
        return or_(*conditions)


def _yuan_field(what):
    def validator(form, field):
        try:
            field.data = parse_yuan(field.data, str(what), grouping=True)
        except AmountError as exc:
            raise ValidationError(exc.message) from None
        bank = TransferLimits.of(settings.of().transfers)
        most = bank.single_fen if field.name == "single_fen" else bank.customer_daily_fen
        if field.data > most:
            raise ValidationError(_("不能高于本行规定的 %(limit)s 元", limit=format_yuan(most)))

    return validator


class CustomerLimitForm(BaseForm):
    single_fen = StringField(_l("单笔限额（元）"), validators=[_yuan_field(_l("单笔限额"))])
    daily_fen = StringField(_l("日累计限额（元，所有卡合计）"), validators=[_yuan_field(_l("日累计限额"))])

    def validate_daily_fen(self, field):
        if isinstance(self.single_fen.data, int) and isinstance(field.data, int) and self.single_fen.data > field.data:
            raise ValidationError(_("单笔限额不能高于日累计限额"))


class CustomerLimitView(StaffModelView):
    """Rows exist only where a customer lowered their limits; editing one raises (or lowers) it for them."""

    can_create = False
    can_delete = False
    form = CustomerLimitForm
    column_list = ("openid", "single_fen", "daily_fen", "updated_at", "updated_by")
    column_labels = {"openid": _l("微信用户"), "single_fen": _l("单笔限额（元）"), "daily_fen": _l("日累计限额（元）"),
                     "updated_at": _l("更新时间"), "updated_by": _l("设置人")}
    column_formatters = {"openid": masked_openid, "single_fen": yuan, "daily_fen": yuan, "updated_at": local_datetime}
    column_default_sort = ("updated_at", True)
    audit_target_type = "transfer_customer_limit"

    def scope_query(self, query):
        code = staff_branch_code()
        if not code:
            return super().scope_query(query)
        return query.filter(CustomerLimit.openid.in_(branch_openids(code)))

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        for name in ("single_fen", "daily_fen"):
            if isinstance(form[name].data, int):
                form[name].data = format_yuan(form[name].data).replace(",", "")
        return form

    def on_model_change(self, form, model, is_created):
        staff = current_staff()
        model.updated_by = staff.username if staff is not None else "staff"
        model.updated_at = utcnow()
        super().on_model_change(form, model, is_created)


REVIEW_LIST_LIMIT = 200


class TransferReviewView(StaffView):
    """转账核实: the transfers held by a fraud rule (under_review), the oldest first; a branch sees those paid from
    cards bound at it. Release or refuse with what the call with the customer said."""

    def _scoped(self, query):
        code = staff_branch_code()
        return query.where(transfers_of(code)) if code else query

    def _context(self) -> dict:
        return {"local": local_time, "mask_openid": mask_openid, "rules": safety.rule_labels,
                "status_labels": STATUS_LABELS}

    @expose("/")
    def index(self):
        show = request.args.get("show", "open")
        query = self._scoped(select(TransferOrder).where(TransferOrder.review_rules.is_not(None)))
        if show != "all":
            show = "open"
            query = query.where(TransferOrder.status == UNDER_REVIEW)
        orders = list(db.session.scalars(query.order_by(TransferOrder.submitted_at, TransferOrder.id)
                                         .limit(REVIEW_LIST_LIMIT)))
        return self.render("admin/transfer_review.html", orders=orders, show=show, phones=self._phones(orders),
                           **self._context())

    @staticmethod
    def _phones(orders) -> dict:
        """The binding's SMS phone, masked (the full number is in the core's customer record)."""
        phones = {}
        for order in orders:
            binding = binding_for(order.openid, order.binding_id)
            phones[order.binding_id] = mask_phone(binding.sms_phone) if binding and binding.sms_phone else ""
        return phones

    def _order(self, order_id) -> TransferOrder:
        if not str(order_id).isdigit() or not 0 < int(order_id) <= MAX_ROW_ID:
            abort(404)
        order = db.session.scalar(self._scoped(select(TransferOrder).where(TransferOrder.id == int(order_id))))
        if order is None or order.review_rules is None:
            abort(404)
        return order

    @expose("/<order_id>/decide", methods=("POST",))
    def decide(self, order_id):
        order = self._order(order_id)
        decision, note = request.form.get("decision", ""), request.form.get("note", "")
        staff = current_staff()
        before = {"status": order.status}

        def audited(settled):
            audit.record("review_" + decision, "transfer_review", settled.id, before,
                         {"status": settled.status, "note": scrub(settled.review_note or "")}, commit=False)

        try:
            review_order(order, staff.username if staff else "staff", decision, note, before_commit=audited)
        except TransferRefused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(self.get_url(".index"), 303)
        flash(_("已放行，资金已转给收款人，并已通知客户。") if decision == "release"
              else _("已拒绝，资金已退回客户的付款卡，并已通知客户。"), "success")
        return redirect(self.get_url(".index"), 303)


def add_views(admin) -> None:
    admin.add_view(TransferView(TransferOrder, name=_l("转账记录"), endpoint="transfers", category=CATEGORY_BUSINESS))
    admin.add_view(CustomerLimitView(CustomerLimit, name=_l("客户转账限额"), endpoint="customer_limits",
                                     category=CATEGORY_BUSINESS))
    admin.add_view(TransferReviewView(name=_l("转账核实"), endpoint="transfer_review", category=CATEGORY_BUSINESS))
