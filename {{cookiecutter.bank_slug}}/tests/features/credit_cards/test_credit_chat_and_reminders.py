"""账单 / 还款 in the chat and the CREDIT menu key; the due-date reminder (the `credit_due` outbox topic): scheduled
CREDIT_REMINDER_DAYS_BEFORE days before the due date at 10:00 bank time, once per statement, dropped when the card
is repaid in full, delivered by the dispatcher as a template message; the repayment form fuzzed."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.credit_cards.models import CreditRepayment
from {{ cookiecutter.bank_slug }}.features.credit_cards.notify import (
    SOURCE_REMINDER,
    TOPIC,
    reminder_at,
    schedule_reminders,
)
from {{ cookiecutter.bank_slug }}.features.menu.default import default_menu
from {{ cookiecutter.bank_slug }}.outbox.models import Notice
from {{ cookiecutter.bank_slug }}.outbox.topics import Recipient
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, event_message, text_message
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...helpers import next_msg_id, push, reply_field
from .support import ALICE, BOB, confirm, customer, open_bank, open_form, submit

BILLED = sum(amount for days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1]
             if days > demo_data.CREDIT_STATEMENT_DAYS_AGO)
OWED = sum(amount for _days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1])


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@pytest.fixture
def bank(make_app):
    return open_bank(make_app, CREDIT_TEMPLATE_ID="tmpl_credit_due", CREDIT_REMINDER_DAYS_BEFORE="5")


def say(bank, openid: str, text: str) -> str:
    pusher = WeChatPusher.from_config(bank.app.config)
    _, reply = push(bank.app.test_client(), pusher, text_message(openid, text, next_msg_id()))
    return reply_field(reply, "Content")


def test_statement_and_repay_keywords_answer_with_the_masked_statement(bank):
    text = say(bank, ALICE, "账单")
    assert mask_card(bank.cards["c1"]) in text and bank.cards["c1"] not in text
    assert f"本期应还 ¥{yuan(BILLED)}" in text
    assert "/h5/credit" in text
    repay = say(bank, ALICE, "还款")
    assert "本人" in repay and "/h5/credit" in repay and mask_card(bank.cards["c1"]) in repay
    assert mask_card(bank.cards["c2"]) not in repay  # Bob's card
    nobody = say(bank, "oNobodyChat00000000000000009", "信用卡账单")
    assert "/h5/bind" in nobody


def test_the_menu_has_the_credit_card_entries_and_the_key_answers(bank):
    menu = default_menu("https://bank.example")
    middle = menu["button"][1]
    names = {button["name"]: button for button in middle["sub_button"]}
    assert names["信用卡账单"]["key"] == "CREDIT" and names["信用卡还款"]["url"] == "https://bank.example/h5/credit"
    assert "理财产品" in names
    pusher = WeChatPusher.from_config(bank.app.config)
    _, reply = push(bank.app.test_client(), pusher, event_message(BOB, "CLICK", "CREDIT"))
    assert mask_card(bank.cards["c2"]) in reply_field(reply, "Content")


def test_reminder_time_is_days_before_at_ten_bank_time_and_never_after_the_due_date():
    due = datetime(2026, 12, 25).date()
    now = datetime(2026, 12, 1, 0, 0)
    at = reminder_at(due, 3, "Asia/Shanghai", now)
    assert at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai")) == datetime(
        2026, 12, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    late = datetime(2026, 12, 23, 5, 0)
    assert reminder_at(due, 3, "Asia/Shanghai", late) == late  # the job ran late: at once
    assert reminder_at(due, 3, "Asia/Shanghai", datetime(2026, 12, 25, 16, 0)) is None  # past the due day


def test_reminders_are_scheduled_once_per_statement_and_delivered_as_a_template(bank):
    with bank.app.app_context():
        written, _skipped = schedule_reminders(bank.app.config)
        assert written == 2  # the bound credit cards that owe: Alice's and Bob's (王芳's is not bound)
    with bank.app.app_context():
        rows = list(db.session.scalars(select(Notice).where(Notice.source == SOURCE_REMINDER)
                                       .order_by(Notice.id)))
        alice = next(row for row in rows if row.openid == ALICE)
        assert alice.amount_fen == BILLED and alice.account_id == bank.accounts["c1"]
        assert alice.next_attempt_at >= utcnow() - timedelta(minutes=1)
        again, skipped = schedule_reminders(bank.app.config)
        assert again == 0 and skipped >= len(rows)
        template = TOPIC.template_payload(alice, Recipient(ALICE, mask_card(bank.cards["c1"])), bank.app.config)
        assert template["template_id"] == "tmpl_credit_due" and template["url"].endswith("/h5/credit")
        values = {keyword: value["value"] for keyword, value in template["data"].items()}
        assert values["amount2"] == f"¥{yuan(BILLED).replace(',', '')}"
        assert values["character_string1"] == bank.cards["c1"][-4:]
        text = TOPIC.text(alice, Recipient(ALICE), bank.app.config)
        assert "还款提醒" in text and bank.cards["c1"] not in text and "96000" in text
    assert len(rows) == written


def test_repaying_in_full_drops_the_pending_reminder(bank):
    with bank.app.app_context():
        schedule_reminders(bank.app.config)
    client = customer(bank)
    _placed, csrf, key = submit(client, bank, mode="amount", amount=yuan(OWED))
    confirm(client, key, csrf)
    with bank.app.app_context():
        pending = db.session.scalar(select(func.count()).select_from(Notice).where(
            Notice.source == SOURCE_REMINDER, Notice.account_id == bank.accounts["c1"]))
        assert pending == 0
        assert db.session.scalar(select(func.count()).select_from(Notice).where(
            Notice.source == SOURCE_REMINDER, Notice.account_id == bank.accounts["c2"])) == 1


FUZZ = settings(max_examples=50, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
hostile = st.one_of(
    st.text(max_size=200),
    st.text(alphabet="0123456789.,-+ ０１２３４５６７８９．元e", max_size=30),
    st.sampled_from(["", " ", "\x00", "NaN", "inf", "1e9", "0.001", "3284.51", "9" * 4000, "١٢٣", "-0.01"]),
)


@FUZZ
@given(amount=hostile, mode=st.one_of(hostile, st.sampled_from(["full", "minimum", "amount"])),
       from_card=st.one_of(hostile, st.integers(-2**63, 2**63)), key=st.one_of(st.none(), hostile))
def test_the_repayment_form_never_fails_with_a_5xx_and_never_posts_without_a_pin(bank, amount, mode, from_card,
                                                                               key):
    client = customer(bank)
    csrf, form_key = open_form(client, bank)
    response = client.post(f"/h5/credit/{bank.bindings['c1']}/repay", data={
        "csrf_token": csrf, "idempotency_key": form_key if key is None else key, "from_card": str(from_card),
        "mode": mode, "amount": amount})
    assert response.status_code in (303, 400, 403, 409), response.status_code
    with bank.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)
                                 .where(JournalEntry.kind == "credit_repayment")) == 0
        stored = db.session.scalars(select(CreditRepayment)).all()
        assert all(order.status == "awaiting_pin" and 0 < order.amount_fen <= OWED for order in stored)
