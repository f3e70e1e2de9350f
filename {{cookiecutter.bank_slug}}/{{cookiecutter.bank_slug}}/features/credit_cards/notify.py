"""The `credit_due` outbox topic: the due-date reminder of a credit card statement (还款提醒),
CREDIT_REMINDER_DAYS_BEFORE days (3 by default) before the due date, at 10:00 bank time.

`schedule_reminders` (run daily by `flask credit-cards remind`) reads the newest statement of every bound credit
card from the core and writes one reminder row per statement that still owes something, due at that moment
(or at once when the job runs later, as long as the due date has not passed): scheduling a notice is writing it
due later, (source, statement id) is unique, so running the job again writes nothing new. A repayment that
leaves the card owing nothing deletes its still-pending reminder (service.drop_pending_reminders).

The dispatcher delivers the rows: as a template message when CREDIT_TEMPLATE_ID is set (CREDIT_TEMPLATE_FIELDS
maps the roles card, amount, minimum, due to the template's keywords), else as a customer-service text inside
WeChat's 48-hour window, else by SMS where the customer opted in (outbox/channels.py)."""

import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...core_banking.current import get_core
from ...core_banking.port import CARD_CREDIT, CoreBankingError, CoreUnavailable
from ...extensions import db
from ...outbox.models import REASON_NOT_BOUND, Notice
from ...outbox.topics import Recipient, Topic, payload_of, register
from ...outbox.writer import notice_row
from ...shared.i18n import _
from ...shared.money import format_yuan
from ...shared.timeutil import utcnow
from ..alerts.service import sms_fallback_openids
from ..binding.service import active_bindings_of_accounts, every_active_binding

log = logging.getLogger(__name__)

TOPIC_NAME = "credit_due"
SOURCE_REMINDER = "cc_remd"  # the outbox source column holds 8 characters
REMINDER_HOUR = 10
MAX_DAYS_BEFORE = 27


def reminder_at(due: date, days_before: int, timezone: str, now: datetime) -> datetime | None:
    """When the reminder is due (naive UTC): 10:00 bank time `days_before` days before the due date, or now if
    that has passed; None once the due date itself has passed (a late reminder is no reminder)."""
    zone = ZoneInfo(timezone)
    days = max(1, min(days_before, MAX_DAYS_BEFORE))
    at = datetime.combine(due - timedelta(days=days), time(REMINDER_HOUR), zone).astimezone(UTC).replace(tzinfo=None)
    end_of_due = datetime.combine(due + timedelta(days=1), time(), zone).astimezone(UTC).replace(tzinfo=None)
    if now >= end_of_due:
        return None
    return max(at, now)


def reminder_row(*, openid: str, card_mask: str, statement, due_at: datetime) -> dict:
    payload = json.dumps({
        "statement_id": statement.statement_id, "card": card_mask, "due": statement.due_date.isoformat(),
        "amount_fen": statement.remaining_fen, "minimum_fen": statement.minimum_remaining_fen,
    }, ensure_ascii=False)
    row = notice_row(TOPIC_NAME, source=SOURCE_REMINDER, source_txn_id=statement.statement_id[:64],
                     account_id=statement.account_id, kind="other", amount_fen=statement.remaining_fen,
                     occurred_at=due_at, openid=openid, payload=payload)
    row["created_at"] = utcnow()
    return row


def schedule_reminders(config, now: datetime | None = None) -> tuple[int, int]:
    """Write the reminders of every bound credit card's newest statement that owes something; returns
    (written, already scheduled or not needed). Commits; one card the core cannot answer for is skipped."""
    now = now or utcnow()
    core = get_core()
    written = skipped = 0
    for binding in every_active_binding():
        try:
            if core.get_account(binding.account_id).kind != CARD_CREDIT:
                continue
            statements = core.credit_statements(binding.account_id, limit=1)
        except CoreUnavailable:
            log.warning("credit reminders: the core did not answer for one card; the next run tries again")
            continue
        except CoreBankingError:
            continue
        statement = statements[0] if statements else None
        due_at = reminder_at(statement.due_date, config["CREDIT_REMINDER_DAYS_BEFORE"], config["TIMEZONE"],
                             now) if statement is not None else None
        if statement is None or statement.remaining_fen <= 0 or due_at is None:
            skipped += 1
            continue
        exists = db.session.scalar(select(Notice.id).where(Notice.source == SOURCE_REMINDER,
                                                           Notice.source_txn_id == statement.statement_id[:64]))
        if exists is not None:
            skipped += 1
            continue
        db.session.add(Notice(**reminder_row(openid=binding.openid, card_mask=binding.card_mask,
                                             statement=statement, due_at=due_at)))
        try:
            db.session.commit()
        except IntegrityError:  # another run wrote it a moment ago
            db.session.rollback()
            skipped += 1
            continue
        written += 1
    return written, skipped


def _due_text(payload: dict) -> str:
    try:
        due = date.fromisoformat(payload.get("due", ""))
    except (TypeError, ValueError):
        return ""
    return _("%(month)s月%(day)s日", month=due.month, day=due.day)


def notice_text(payload: dict, config) -> str:
    card = payload.get("card", "")
    tail = card[-4:] if len(card) >= 4 else card
    return _("【还款提醒】您尾号%(tail)s的信用卡本期账单应还 %(amount)s 元，最低还款 %(minimum)s 元，"
             "到期还款日为 %(due)s。可在微信银行回复“还款”用本人借记卡还款；如已还款请忽略。客服热线 %(hotline)s。",
             tail=tail, amount=format_yuan(int(payload.get("amount_fen") or 0)),
             minimum=format_yuan(int(payload.get("minimum_fen") or 0)), due=_due_text(payload),
             hotline=config["SERVICE_HOTLINE"])


def _template_values(payload: dict) -> dict[str, str]:
    card = payload.get("card", "")
    try:
        due = date.fromisoformat(payload.get("due", ""))
        due_text = f"{due:%Y年%m月%d日}"
    except (TypeError, ValueError):
        due_text = "-"
    return {
        "card": (card[-4:] if len(card) >= 4 else card) or "-",
        "amount": f"¥{format_yuan(int(payload.get('amount_fen') or 0)).replace(',', '')}",
        "minimum": f"¥{format_yuan(int(payload.get('minimum_fen') or 0)).replace(',', '')}",
        "due": due_text,
    }


def _template(row, recipient: Recipient, config) -> dict:
    values = _template_values(payload_of(row))
    fields = config["CREDIT_TEMPLATE_FIELDS"]
    return {
        "touser": recipient.openid,
        "template_id": config["CREDIT_TEMPLATE_ID"],
        "url": f"{config['PUBLIC_BASE_URL']}/h5/credit",
        "data": {keyword: {"value": values.get(role, "-")} for role, keyword in fields.items()},
    }


def _text(row, recipient: Recipient, config) -> str:
    return notice_text(payload_of(row), config)


def resolve(connection, rows, config) -> dict:
    """The card's binding now (a card unbound since the reminder was written gets none)."""
    bindings = {(b.account_id, b.openid): b for b in active_bindings_of_accounts(
        connection, [row.account_id for row in rows])}
    opted_in = sms_fallback_openids(connection, {row.openid for row in rows if row.openid})
    resolved = {}
    for row in rows:
        binding = bindings.get((row.account_id, row.openid))
        if binding is None:
            resolved[row.id] = REASON_NOT_BOUND
            continue
        resolved[row.id] = Recipient(row.openid, binding.card_mask, not binding.alerts_suspended,
                                     binding.sms_phone, row.openid in opted_in)
    return resolved


TOPIC = Topic(TOPIC_NAME, resolve, lambda config: config["CREDIT_TEMPLATE_ID"], _template, _text)


def install(app) -> None:
    register(TOPIC)
