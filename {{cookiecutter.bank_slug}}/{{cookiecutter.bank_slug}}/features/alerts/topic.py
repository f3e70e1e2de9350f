"""The `transaction_alert` outbox topic: a transaction alert goes to whoever has the account bound (binding's
service), under that customer's rules (preferences.py), worded by message.py. Registered at install time."""

from sqlalchemy import select

from ...db import one_of
from ...outbox.models import REASON_ALERTS_OFF, REASON_BELOW_MINIMUM, REASON_NOT_BOUND, TOPIC_TRANSACTION_ALERT
from ...outbox.topics import Recipient, Topic, register
from ..binding.service import active_bindings_of_accounts
from .ledger_writer import register_ledger_writer
from .message import AlertView, sms_text, template_payload
from .models import AlertChannelChoice, AlertPreference
from .preferences import rules_of


def resolve(connection, rows, config) -> dict:
    """Row id -> the Recipient (refused when the customer's rules say no, with the card's chosen channel) or
    REASON_NOT_BOUND; three queries."""
    bindings = active_bindings_of_accounts(connection, [row.account_id for row in rows])
    openids = {binding.openid for binding in bindings}
    preferences = {p.openid: p for p in connection.execute(
        select(AlertPreference.openid, AlertPreference.enabled, AlertPreference.min_amount_fen,
               AlertPreference.sms_fallback)
        .where(one_of(connection, AlertPreference.openid, openids)))} if openids else {}
    chosen = {(c.openid, c.account_id): c.channel for c in connection.execute(
        select(AlertChannelChoice.openid, AlertChannelChoice.account_id, AlertChannelChoice.channel)
        .where(one_of(connection, AlertChannelChoice.openid, openids)))} if openids else {}
    by_account = {}
    for b in bindings:
        rules = rules_of(preferences.get(b.openid), config)
        refused = None if rules.enabled else REASON_ALERTS_OFF
        by_account[b.account_id] = (b, rules, refused)
    resolved = {}
    for row in rows:
        found = by_account.get(row.account_id)
        if found is None:
            resolved[row.id] = REASON_NOT_BOUND
            continue
        b, rules, refused = found
        if refused is None and not rules.wants(row.amount_fen):
            refused = REASON_BELOW_MINIMUM
        resolved[row.id] = Recipient(b.openid, b.card_mask, not b.alerts_suspended, b.sms_phone, rules.sms_fallback,
                                     refused, chosen.get((b.openid, b.account_id), "wechat"))
    return resolved


def _view(row, recipient: Recipient) -> AlertView:
    return AlertView(row.id, row.kind, row.amount_fen, row.balance_after_fen, row.occurred_at, recipient.card_mask)


def _payload(row, recipient: Recipient, config) -> dict:
    return template_payload(_view(row, recipient), openid=recipient.openid, template_id=config["ALERT_TEMPLATE_ID"],
                            fields=config["ALERT_TEMPLATE_FIELDS"], timezone=config["TIMEZONE"],
                            url=f"{config['PUBLIC_BASE_URL']}/h5/alerts/{row.id}")


def _text(row, recipient: Recipient, config) -> str:
    return sms_text(_view(row, recipient), bank_short_name=config["BANK_SHORT_NAME"], timezone=config["TIMEZONE"])


TOPIC = Topic(TOPIC_TRANSACTION_ALERT, resolve, lambda config: config["ALERT_TEMPLATE_ID"], _payload, _text)


def install(app) -> None:
    register(TOPIC)
    register_ledger_writer()
