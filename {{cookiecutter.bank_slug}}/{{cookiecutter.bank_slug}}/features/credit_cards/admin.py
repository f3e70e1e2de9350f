"""Credit-card repayments (信用卡还款记录): a read-only list and detail for branch staff, cards masked, scoped by
the branch where the credit card was bound (staff of a branch see its customers' repayments only)."""

from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import or_

from ...admin.base import CATEGORY_BUSINESS, MAX_ROW_ID, StaffModelView, staff_branch_code
from ...admin.formatting import labelled, local_datetime, masked_card, masked_openid, yuan
from ...shared.i18n import _l
from ...shared.masking import scrub
from ..binding.service import branch_binding_ids
from .models import (
    AWAITING_PIN,
    FAILED,
    MODE_AMOUNT,
    MODE_FULL,
    MODE_MINIMUM,
    POSTED,
    PROCESSING,
    UNCONFIRMED,
    CreditRepayment,
)

STATUS_LABELS = {AWAITING_PIN: _l("待输入密码"), PROCESSING: _l("处理中"), POSTED: _l("已成功"), FAILED: _l("失败"),
                 UNCONFIRMED: _l("结果待确认")}
MODE_LABELS = {MODE_FULL: _l("全额还款"), MODE_MINIMUM: _l("最低还款"), MODE_AMOUNT: _l("自定义金额")}


def scrubbed(view, context, model, name):
    return scrub(getattr(model, name, None) or "")


class RepaymentView(StaffModelView):
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "created_at", "card_mask", "from_card_mask", "mode", "amount_fen", "status")
    column_details_list = ("id", "created_at", "submitted_at", "finished_at", "openid", "card_mask",
                           "from_card_mask", "mode", "statement_id", "amount_fen", "status", "failure_code",
                           "failure_message", "repayment_id", "owed_after_fen", "available_after_fen")
    column_labels = {"id": _l("编号"), "created_at": _l("创建时间"), "submitted_at": _l("提交核心时间"),
                     "finished_at": _l("完成时间"), "openid": _l("微信用户"), "card_mask": _l("信用卡"),
                     "from_card_mask": _l("还款卡"), "mode": _l("还款方式"), "statement_id": _l("账单编号"),
                     "amount_fen": _l("金额（元）"), "status": _l("状态"), "failure_code": _l("失败代码"),
                     "failure_message": _l("失败原因"), "repayment_id": _l("核心流水号"),
                     "owed_after_fen": _l("还款后欠款（元）"), "available_after_fen": _l("还款后可用额度（元）")}
    column_formatters = {"created_at": local_datetime, "submitted_at": local_datetime, "finished_at": local_datetime,
                         "openid": masked_openid, "card_mask": masked_card, "from_card_mask": masked_card,
                         "mode": labelled(MODE_LABELS), "amount_fen": yuan, "owed_after_fen": yuan,
                         "available_after_fen": yuan, "status": labelled(STATUS_LABELS),
                         "failure_message": scrubbed}
    column_sortable_list = ("id", "created_at", "amount_fen")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(CreditRepayment.status, _l("状态"), options=tuple(STATUS_LABELS.items())),)
    search_hint = _l("编号、信用卡或还款卡后四位、核心流水号")

    def scope_query(self, query):
        code = staff_branch_code()
        if not code:
            return super().scope_query(query)
        return query.filter(CreditRepayment.card_binding_id.in_(branch_binding_ids(code)))

    def search_clause(self, term):
        conditions = [CreditRepayment.repayment_id == term]
        if term.isascii() and term.isdigit():
            if len(term) <= 10 and 0 < int(term) <= MAX_ROW_ID:
                conditions.append(CreditRepayment.id == int(term))
            if len(term) == 4:
                conditions.append(CreditRepayment.card_mask.endswith(term, autoescape=True))
                conditions.append(CreditRepayment.from_card_mask.endswith(term, autoescape=True))
        return or_(*conditions)


def add_views(admin) -> None:
    admin.add_view(RepaymentView(CreditRepayment, name=_l("信用卡还款记录"), endpoint="credit_repayments",
                                 category=CATEGORY_BUSINESS))
