"""Transfers (转账记录): read-only list and detail, payee masked, scoped by the binding's branch."""

from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import or_

from ...admin.base import CATEGORY_BUSINESS, MAX_ROW_ID, StaffModelView, staff_branch_code
from ...admin.formatting import labelled, local_datetime, masked_card, masked_name, masked_openid, yuan
from ...shared.i18n import _l
from ...shared.masking import scrub
from .banks import bank_name
from .dashboard import transfers_of
from .models import AWAITING_PIN, FAILED, PENDING_SETTLEMENT, POSTED, PROCESSING, UNCONFIRMED, TransferOrder

STATUS_LABELS = {
    AWAITING_PIN: _l("待输入密码"),
    PROCESSING: _l("处理中"),
    POSTED: _l("已成功"),
    PENDING_SETTLEMENT: _l("已受理（跨行清算中）"),
    FAILED: _l("失败"),
    UNCONFIRMED: _l("结果待确认"),
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
                           "failure_message", "transfer_id")
    column_labels = {"id": _l("编号"), "created_at": _l("创建时间"), "submitted_at": _l("提交核心时间"),
                     "finished_at": _l("完成时间"), "openid": _l("微信用户"), "from_card_masked": _l("付款卡"),
                     "payee_number": _l("收款账号"), "payee_name": _l("收款人"), "payee_bank": _l("收款银行"),
                     "amount_fen": _l("金额（元）"), "memo": _l("附言"), "status": _l("状态"),
                     "failure_code": _l("失败代码"), "failure_message": _l("失败原因"), "transfer_id": _l("核心流水号")}
    column_formatters = {"created_at": local_datetime, "submitted_at": local_datetime, "finished_at": local_datetime,
                         "openid": masked_openid, "from_card_masked": masked_card, "payee_number": masked_card,
                         "payee_name": masked_name, "payee_bank": payee_bank, "amount_fen": yuan,
                         "memo": scrubbed, "status": labelled(STATUS_LABELS), "failure_message": scrubbed}
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
                conditions.append(TransferOrder.payee_number.endswith(term, autoescape=True))
        return or_(*conditions)


def add_views(admin) -> None:
    admin.add_view(TransferView(TransferOrder, name=_l("转账记录"), endpoint="transfers", category=CATEGORY_BUSINESS))
