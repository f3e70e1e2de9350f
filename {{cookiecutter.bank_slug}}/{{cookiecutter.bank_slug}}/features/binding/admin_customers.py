"""Customers (客户): read-only, masked, searchable only on fields that reveal no PII."""

from markupsafe import Markup, escape
from sqlalchemy import or_, select

from ...admin.base import CATEGORY_BUSINESS, MAX_ROW_ID, StaffModelView, branch_filter, staff_branch_id
from ...admin.formatting import local_datetime, masked_id_number, masked_name, masked_phone
from ...core_banking.ledger.models import LedgerAccount
from ...core_banking.models import Branch, Customer
from ...extensions import db
from ...shared.i18n import _l
from ...shared.masking import mask_card


def branch_label(view, context, model, name):
    branch = model.branch
    return f"{branch.code} {branch.name}" if branch is not None else ""


def ledger_cards(view, context, model, name):
    """The customer's cards in the built-in ledger, masked (empty with an external core)."""
    numbers = db.session.execute(select(LedgerAccount.card_number).where(
        LedgerAccount.customer_id == model.id, LedgerAccount.card_number.is_not(None))).scalars()
    return Markup("<br>").join(escape(mask_card(number)) for number in numbers)


class CustomerView(StaffModelView):
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "name", "id_number", "phone", "branch", "created_at")
    column_details_list = ("id", "name", "id_number", "phone", "branch", "cards", "created_at")
    column_labels = {"id": _l("客户编号"), "name": _l("姓名"), "id_number": _l("证件号码"), "phone": _l("手机号"),
                     "branch": _l("开户网点"), "cards": _l("银行卡"), "created_at": _l("建档时间")}
    column_formatters = {"name": masked_name, "id_number": masked_id_number, "phone": masked_phone,
                         "branch": branch_label, "cards": ledger_cards, "created_at": local_datetime}
    column_sortable_list = ("id", "created_at")
    column_default_sort = ("id", True)
    search_hint = _l("客户编号、网点代码或名称、卡号后四位")

    def scope_query(self, query):
        return branch_filter(query, Customer.branch_id, staff_branch_id())

    def search_clause(self, term):
        conditions = [Customer.branch_id.in_(select(Branch.id).where(Branch.name.contains(term, autoescape=True)))]
        if term.isascii() and term.isdigit():
            conditions.append(Customer.branch_id.in_(select(Branch.id).where(Branch.code == term)))
            if len(term) <= 10 and 0 < int(term) <= MAX_ROW_ID:
                conditions.append(Customer.id == int(term))
            if len(term) == 4:
                conditions.append(Customer.id.in_(select(LedgerAccount.customer_id).where(
                    LedgerAccount.card_tail == term)))  # card_number is encrypted at rest
        return or_(*conditions)


def add_views(admin) -> None:
    admin.add_view(CustomerView(Customer, name=_l("客户"), endpoint="customers", category=CATEGORY_BUSINESS))
