"""Credit cards (信用卡账单查询、快速还款): a bound credit card's limit, what it owes and its statements through the
core-banking port; repayment from the customer's own bound debit card (full, minimum or an amount) with the
transaction PIN, idempotent, posted by the core (double-entry in the built-in ledger); the 账单 and 还款 keywords
and the CREDIT menu key; the due-date reminder (an outbox topic, scheduled by `flask credit-cards remind`); the H5
pages /h5/credit; the admin's read-only list of repayments; demo credit cards in seed-demo."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="credit_cards",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("credit", _l("信用卡"), _l("账单查询、用本人借记卡还款"), _l("信")),),
    admin=(".admin",),
    cli=(".cli:credit_cards_group",),
    setup=(".notify:install",),  # the outbox topic `credit_due`
    seed_demo=(".demo:seed",),
)
