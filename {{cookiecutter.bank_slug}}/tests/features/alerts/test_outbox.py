"""Every posting on a customer account of the built-in ledger becomes an alert in the same database
transaction; refusals post nothing and so alert nothing."""

import pytest

from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import SETTLEMENT_ACCOUNT_ID
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore, transfer_id
from {{ cookiecutter.bank_slug }}.core_banking.port import InsufficientFunds, TransferRequest
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import PENDING, SOURCE_LEDGER

from ...ledger_helpers import seed
from .support import alerts, transfer

pytestmark = pytest.mark.smoke


@pytest.fixture
def accounts(app):
    return seed(app)


def test_opening_deposits_alert_the_customer_accounts_only(app, accounts):
    opened = alerts(app)
    assert {a.account_id for a in opened} == {account.account_id for account in accounts}
    assert all(a.kind == "deposit" and a.amount_fen > 0 and a.state == PENDING for a in opened)
    assert not alerts(app, account_id=SETTLEMENT_ACCOUNT_ID)


def test_a_transfer_alerts_payer_and_payee_with_their_balances(app, accounts):
    payer, payee = accounts[0], accounts[2]
    before = {a.id for a in alerts(app)}
    result = transfer(app, payer, payee, 12_345, memo="房租")
    new = [a for a in alerts(app) if a.id not in before]
    assert len(new) == 2
    out = next(a for a in new if a.account_id == payer.account_id)
    into = next(a for a in new if a.account_id == payee.account_id)
    assert (out.kind, out.amount_fen, out.balance_after_fen) == ("transfer_out", -12_345, payer.balance_fen - 12_345)
    assert (into.kind, into.amount_fen, into.balance_after_fen) == ("transfer_in", 12_345, payee.balance_fen + 12_345)
    assert out.source == into.source == SOURCE_LEDGER
    assert {out.source_txn_id, into.source_txn_id} == {f"{result.transfer_id}:0", f"{result.transfer_id}:1"}
    assert out.memo == "房租"
    # The counterparty's name is stored masked: the outbox is read by staff and logged.
    assert out.counterparty == payee.customer.name[0] + "*" * (len(payee.customer.name) - 1)
    assert payee.customer.name not in out.counterparty


def test_a_refused_transfer_alerts_nothing(app, accounts):
    before = len(alerts(app))
    with pytest.raises(InsufficientFunds):
        transfer(app, accounts[8], accounts[0], accounts[8].balance_fen + 1)
    assert len(alerts(app)) == before


def test_a_replayed_transfer_alerts_once(app, accounts):
    request = TransferRequest(idempotency_key="same-intent-1", from_account_id=accounts[0].account_id,
                              to_account_number=accounts[3].card_number, to_name=accounts[3].customer.name,
                              amount_fen=500)
    with app.app_context():
        core = LedgerCore(db.engine)
        first = core.transfer(request)
        again = core.transfer(request)
    assert again.replayed and again.transfer_id == first.transfer_id
    assert len([a for a in alerts(app) if a.source_txn_id.startswith(first.transfer_id)]) == 2


def test_an_interbank_transfer_alerts_the_payer_not_the_settlement_account(app, accounts):
    with app.app_context():
        result = LedgerCore(db.engine).transfer(TransferRequest(
            idempotency_key="interbank-1", from_account_id=accounts[0].account_id,
            to_account_number="6217000010001234567", to_name="赵六", amount_fen=2_000, to_bank="中国建设银行"))
    made = [a for a in alerts(app) if a.source_txn_id.startswith(result.transfer_id)]
    assert [(a.account_id, a.amount_fen) for a in made] == [(accounts[0].account_id, -2_000)]


def test_alert_ids_follow_the_transfer_id(app, accounts):
    result = transfer(app, accounts[1], accounts[0], 100)
    assert result.transfer_id == transfer_id(int(result.transfer_id[1:]))
    assert all(a.source_txn_id.split(":")[0] == result.transfer_id
               for a in alerts(app) if a.source_txn_id.startswith(result.transfer_id))
