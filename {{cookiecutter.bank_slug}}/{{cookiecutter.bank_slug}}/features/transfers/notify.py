"""The `transfer_outcome` outbox topic: the outcome of a transfer, told to the customer by the outbox.

`outcome_row` is the outbox row that service.py adds in the same session commit as the order's final status
(posted, pending_settlement, failed, unconfirmed), so the notice exists exactly when the outcome does. The
dispatcher delivers it later (`flask alerts run|drain`): as a template message (TRANSFER_TEMPLATE_ID,
TRANSFER_TEMPLATE_FIELDS), else as a customer-service text inside WeChat's 48-hour window, else by SMS
where the customer opted in (outbox/channels.py). Nothing here calls WeChat during the PIN request.
"""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ...outbox.models import REASON_NOT_BOUND
from ...outbox.topics import Recipient, Topic, payload_of, register
from ...outbox.writer import notice_row
from ...shared.i18n import _
from ...shared.masking import card_tail
from ...shared.money import format_yuan
from ...web.language import bank_name as language_bank_name
from ..alerts.service import sms_fallback_openids
from ..binding.service import active_bindings_of_accounts
from .banks import bank_name
from .models import FAILED, PENDING_SETTLEMENT, POSTED, TransferOrder

TOPIC_NAME = "transfer_outcome"
SOURCE = "transfer"


@dataclass(frozen=True)
class Outcome:
    """What the notice tells, masked: stored as the row's JSON payload."""

    order_id: int
    status: str
    card_tail: str
    payee_bank: str
    payee_name_masked: str
    payee_masked: str
    amount_fen: int
    failure_message: str | None = None

    @classmethod
    def of(cls, order: TransferOrder) -> "Outcome":
        return cls(order.id, order.status, card_tail(order.from_card_masked), order.payee_bank,
                   order.payee_name_masked, order.payee_masked, order.amount_fen, order.failure_message)

    @classmethod
    def from_payload(cls, payload: dict) -> "Outcome":
        return cls(int(payload.get("order_id", 0)), str(payload.get("status", "")), str(payload.get("card_tail", "")),
                   str(payload.get("payee_bank", "")), str(payload.get("payee_name_masked", "")),
                   str(payload.get("payee_masked", "")), int(payload.get("amount_fen", 0)),
                   payload.get("failure_message"))


def outcome_row(order: TransferOrder, finished_at: datetime) -> dict:
    """The outbox row of this order's final status (one per order and status)."""
    return notice_row(
        TOPIC_NAME, source=SOURCE, source_txn_id=f"{order.id}:{order.status}", account_id=order.from_account_id,
        kind="transfer_out", amount_fen=-order.amount_fen, occurred_at=finished_at, openid=order.openid,
        counterparty=order.payee_name_masked, payload=json.dumps(asdict(Outcome.of(order)), ensure_ascii=False))


def outcome_text(outcome: Outcome, config) -> str:
    """The customer-service / SMS text; in DEFAULT_LOCALE when the dispatcher sends it."""
    bank = bank_name(outcome.payee_bank, language_bank_name(config, short=True))
    what = _("您尾号 %(tail)s 的银行卡向%(bank)s %(payee)s（%(account)s）转账 %(amount)s 元",
             tail=outcome.card_tail, bank=bank, payee=outcome.payee_name_masked,
             account=outcome.payee_masked, amount=format_yuan(outcome.amount_fen))
    if outcome.status == POSTED:
        head, tail = _("【转账成功】"), _("已成功转出。")
    elif outcome.status == PENDING_SETTLEMENT:
        head, tail = _("【转账已受理】"), _("已提交，正在处理中，到账时间以收款银行为准。")
    elif outcome.status == FAILED:
        head, tail = _("【转账失败】"), _("未成功：%(reason)s。资金未转出。",
                                       reason=outcome.failure_message or _("交易失败"))
    else:
        head, tail = _("【转账处理中】"), _("结果待确认，请稍后查询账户明细，切勿重复转账。")
    return head + what + tail + _("如非本人操作，请立即致电客服热线 %(hotline)s。", hotline=config["SERVICE_HOTLINE"])


def status_phrase(status: str) -> str:
    """At most five Chinese characters: the template's phrase keyword."""
    if status == POSTED:
        return _("转账成功")
    if status == PENDING_SETTLEMENT:
        return _("转账已受理")
    if status == FAILED:
        return _("转账失败")
    return _("处理中")


def template_values(outcome: Outcome, occurred_at: datetime, timezone: str) -> dict[str, str]:
    """Role -> value (TRANSFER_TEMPLATE_FIELDS), each fitting WeChat's rule for its keyword type."""
    return {
        "payee": outcome.payee_name_masked or "-",
        "amount": f"¥{format_yuan(outcome.amount_fen).replace(',', '')}",
        "status": status_phrase(outcome.status),
        "time": f"{occurred_at.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)):%Y年%m月%d日 %H:%M}",
        "card": outcome.card_tail or "****",
    }


def _payload(row, recipient: Recipient, config) -> dict:
    values = template_values(Outcome.from_payload(payload_of(row)), row.occurred_at, config["TIMEZONE"])
    return {
        "touser": recipient.openid,
        "template_id": config["TRANSFER_TEMPLATE_ID"],
        "url": f"{config['PUBLIC_BASE_URL']}/h5/transfer",
        "data": {keyword: {"value": values[role]} for role, keyword in config["TRANSFER_TEMPLATE_FIELDS"].items()},
    }


def _text(row, recipient: Recipient, config) -> str:
    return outcome_text(Outcome.from_payload(payload_of(row)), config)


def resolve(connection, rows, config) -> dict:
    """The order's customer (the row's openid); the phone of the card's binding and the SMS opt-in of the
    customer's alert rules decide the SMS fallback; an unfollowed account (suspended binding) gets none by WeChat."""
    bindings = {(b.account_id, b.openid): b for b in active_bindings_of_accounts(
        connection, [row.account_id for row in rows])}
    opted_in = sms_fallback_openids(connection, {row.openid for row in rows if row.openid})
    resolved = {}
    for row in rows:
        if not row.openid:
            resolved[row.id] = REASON_NOT_BOUND
            continue
        binding = bindings.get((row.account_id, row.openid))
        resolved[row.id] = Recipient(
            row.openid, binding.card_mask if binding else "", not binding.alerts_suspended if binding else True,
            binding.sms_phone if binding else None, row.openid in opted_in)
    return resolved


TOPIC = Topic(TOPIC_NAME, resolve, lambda config: config["TRANSFER_TEMPLATE_ID"], _payload, _text)


def install(app) -> None:
    register(TOPIC)
