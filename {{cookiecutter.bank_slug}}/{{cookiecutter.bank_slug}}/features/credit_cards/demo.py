"""`flask seed-demo`: the demo credit cards of the built-in ledger (core_banking/ledger/demo.py: three cards,
opened 100 days ago, with some spending, so they have statements to show and repay). Run again, it adds nothing."""

import click
from sqlalchemy import delete

from ...core_banking.ledger.demo import seed_demo_credit_cards
from ...extensions import db
from ...outbox.models import SOURCE_LEDGER, Notice
from ...shared.masking import mask_card
from ...shared.money import format_yuan


def seed() -> None:
    cards = seed_demo_credit_cards(db.session, db.engine)
    added = [card.account_id for card in cards if card.added]
    if added:  # the back-dated demo spending is history, not news: its alerts are not sent
        db.session.execute(delete(Notice).where(Notice.source == SOURCE_LEDGER, Notice.account_id.in_(added)))
        db.session.commit()
    for card in cards:
        if card.added:
            click.echo(f"  {mask_card(card.card_number)}  额度 limit {format_yuan(card.credit_limit_fen)} 元  "
                       f"账单日 statement day {card.statement_day}  还款日 due day {card.due_day}")
    opened = sum(card.added for card in cards)
    click.echo(f"演示信用卡已就绪：新开卡 {opened} 张 Demo credit cards ready: {opened} opened.")
