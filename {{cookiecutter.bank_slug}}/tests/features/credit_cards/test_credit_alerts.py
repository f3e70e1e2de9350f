"""Card spending is alerted as debit postings are: the built-in ledger's alert writer writes one alert per posting on
a credit card too, in the posting's transaction, showing the credit left after it (not the card's negative balance)."""

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.core_banking.ledger.credit import post_card_purchase
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.message import AlertView, template_values
from {{ cookiecutter.bank_slug }}.outbox.models import SOURCE_LEDGER, Notice
from {{ cookiecutter.bank_slug }}.shared import demo_data

from .support import open_bank

LIMIT = demo_data.CREDIT_CARDS[0][1]
OWED = sum(amount for _days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1])


@pytest.fixture
def bank(make_app):
    return open_bank(make_app)


def test_spending_on_a_credit_card_writes_its_alert_with_the_credit_left(bank):
    with bank.app.app_context():
        assert db.session.scalars(select(Notice).where(Notice.account_id == bank.accounts["c1"])).all() == []  # demo
        entry = post_card_purchase(db.engine, bank.accounts["c1"], 4_250, "青山咖啡", "test-purchase-0001")
        assert post_card_purchase(db.engine, bank.accounts["c1"], 4_250, "青山咖啡", "test-purchase-0001") is None
        (alert,) = db.session.scalars(select(Notice).where(Notice.account_id == bank.accounts["c1"])).all()
        assert (alert.source, alert.source_txn_id) == (SOURCE_LEDGER, f"J{entry:010d}:0")
        assert (alert.kind, alert.amount_fen, alert.counterparty) == ("purchase", -4_250, "青***")  # masked
        assert alert.balance_after_fen == LIMIT - OWED - 4_250  # the credit left, not -(owed)
        values = template_values(AlertView(alert.id, alert.kind, alert.amount_fen, alert.balance_after_fen,
                                           alert.occurred_at, "6258 **** **** 0014"), "Asia/Shanghai")
        assert values["type"] == "消费" and values["amount"] == "¥42.50"
        assert values["balance"] == f"¥{(LIMIT - OWED - 4_250) // 100}.{(LIMIT - OWED - 4_250) % 100:02d}"
