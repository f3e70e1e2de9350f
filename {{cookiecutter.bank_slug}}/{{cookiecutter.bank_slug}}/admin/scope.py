"""Which rows belong to a branch, for the branch operators' views and the dashboard.

Customers carry `branch_id`; card bindings carry the account's `branch_code` (from the core when the card
was bound); transfers belong to the binding they were paid from; alerts to the accounts bound there.
Each helper returns a SQL condition to use in `StaffModelView.scope_query` or any select().
"""

from sqlalchemy import select

from ..banking.models import CardBinding, Customer
from ..banking.transfers.models import TransferOrder


def customers_of(branch_id: int):
    return Customer.branch_id == branch_id


def bindings_of(branch_code: str):
    return CardBinding.branch_code == branch_code


def branch_binding_ids(branch_code: str):
    return select(CardBinding.id).where(CardBinding.branch_code == branch_code)


def branch_account_ids(branch_code: str):
    """Core account ids ever bound at this branch (any binding status)."""
    return select(CardBinding.account_id).where(CardBinding.branch_code == branch_code)


def transfers_of(branch_code: str):
    return TransferOrder.binding_id.in_(branch_binding_ids(branch_code))


def alerts_of(branch_code: str, alert_model):
    """For alerts.models.Alert (passed in, so this module works before the alerts package exists)."""
    return alert_model.account_id.in_(branch_account_ids(branch_code))
