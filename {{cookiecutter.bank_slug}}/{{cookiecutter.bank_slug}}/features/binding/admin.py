"""Card bindings (绑卡): masked list and detail, and staff unbinding with a reason (POST + CSRF, audited)."""

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.model.template import EndpointLinkRowAction
from sqlalchemy import or_, update

from ...admin import audit
from ...admin.base import CATEGORY_BUSINESS, MAX_ROW_ID, StaffModelView, staff_branch_code
from ...admin.formatting import labelled, local_datetime, masked_card, masked_openid, masked_phone
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.masking import scrub
from ...shared.timeutil import utcnow
from .models import CardBinding
from .service import STATUS_ACTIVE, STATUS_UNBOUND, bindings_of

STATUS_LABELS = {STATUS_ACTIVE: _l("已绑定"), STATUS_UNBOUND: _l("已解绑")}
REASON_MIN, REASON_MAX = 2, 200


def yes_no(view, context, model, name):
    return str(_l("是")) if getattr(model, name, False) else str(_l("否"))


class BindingView(StaffModelView):
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "card_mask", "openid", "branch_code", "status", "bound_at", "unbound_at")
    column_details_list = ("id", "card_mask", "openid", "branch_code", "status", "alerts_suspended", "sms_phone",
                           "bound_at", "unbound_at", "unbind_reason")
    column_labels = {"id": _l("编号"), "card_mask": _l("银行卡"), "openid": _l("微信用户"),
                     "branch_code": _l("开户网点"), "status": _l("状态"),
                     "alerts_suspended": _l("提醒已暂停（取消关注）"), "sms_phone": _l("短信手机号"),
                     "bound_at": _l("绑定时间"), "unbound_at": _l("解绑时间"), "unbind_reason": _l("解绑原因")}
    column_formatters = {"card_mask": masked_card, "openid": masked_openid, "status": labelled(STATUS_LABELS),
                         "alerts_suspended": yes_no, "sms_phone": masked_phone, "bound_at": local_datetime,
                         "unbound_at": local_datetime}
    column_sortable_list = ("id", "bound_at", "unbound_at")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(CardBinding.status, _l("状态"), options=tuple(STATUS_LABELS.items())),)
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-chain-broken", ".unbind_view", title=_l("解绑"))]
    search_hint = _l("编号、卡号后四位、网点代码")
    audit_target_type = "card_binding"

    def scope_query(self, query):
        code = staff_branch_code()
        return query.filter(bindings_of(code)) if code else super().scope_query(query)

    def search_clause(self, term):
        conditions = [CardBinding.branch_code == term]
        if term.isascii() and term.isdigit():
            if len(term) <= 10 and 0 < int(term) <= MAX_ROW_ID:
                conditions.append(CardBinding.id == int(term))
            if len(term) == 4:
                conditions.append(CardBinding.card_mask.endswith(term, autoescape=True))
        return or_(*conditions)

    @expose("/unbind/", methods=("GET", "POST"))
    def unbind_view(self):
        binding = self.get_one(request.values.get("id"))  # 404 outside the operator's branch
        back = self.get_url(".details_view", id=binding.id)
        if binding.status != STATUS_ACTIVE:
            flash(_("该卡已解绑，无需再次解绑。"), "warning")
            return redirect(back)
        if request.method == "GET":
            return self.render("admin/binding_unbind.html", binding=binding, reason="", error=None)
        reason = " ".join((request.form.get("reason") or "").split())
        error = None
        if len(reason) < REASON_MIN:
            error = _("请填写解绑原因（至少 %(n)d 个字）。", n=REASON_MIN)
        elif len(reason) > REASON_MAX:
            error = _("解绑原因不能超过 %(n)d 个字。", n=REASON_MAX)
        if error:
            return self.render("admin/binding_unbind.html", binding=binding, reason=reason[:REASON_MAX],
                               error=error), 400
        reason = scrub(reason)  # a card, ID or phone number typed into the reason is masked before it is kept
        before = self.audited_values(binding)
        changed = db.session.execute(
            update(CardBinding).where(CardBinding.id == binding.id, CardBinding.status == STATUS_ACTIVE)
            .values(status=STATUS_UNBOUND, unbound_at=utcnow(), unbind_reason=reason)
        ).rowcount
        if not changed:  # someone unbound it a moment ago
            db.session.rollback()
            flash(_("该卡已解绑，无需再次解绑。"), "warning")
            return redirect(back)
        db.session.refresh(binding)
        audit.record("unbind", self.target_type, binding.id, before, self.audited_values(binding), commit=False)
        db.session.commit()
        flash(_("已解绑 %(card)s。", card=binding.card_mask), "success")
        return redirect(back, 303)


def add_views(admin) -> None:
    admin.add_view(BindingView(CardBinding, name=_l("绑卡管理"), endpoint="bindings", category=CATEGORY_BUSINESS))
