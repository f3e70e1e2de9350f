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
from .models import FAILED, HELD, PENDING_SETTLEMENT, POSTED, REFUSED, REVOKED, UNDER_REVIEW, TransferOrder

TOPIC_NAME = "transfer_outcome"
RELEASE_TOPIC = "transfer_release"  # a scheduled task, not a message: release a held transfer when due
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
    release_at: str | None = None  # held: when it arrives (naive UTC, ISO)

    @classmethod
    def of(cls, order: TransferOrder) -> "Outcome":
        return cls(order.id, order.status, card_tail(order.from_card_masked), order.payee_bank,
                   order.payee_name_masked, order.payee_masked, order.amount_fen, order.failure_message,
                   order.release_at.isoformat() if order.release_at else None)

    @classmethod
    def from_payload(cls, payload: dict) -> "Outcome":
        return cls(int(payload.get("order_id", 0)), str(payload.get("status", "")), str(payload.get("card_tail", "")),
                   str(payload.get("payee_bank", "")), str(payload.get("payee_name_masked", "")),
                   str(payload.get("payee_masked", "")), int(payload.get("amount_fen", 0)),
                   payload.get("failure_message"), payload.get("release_at"))


def outcome_row(order: TransferOrder, finished_at: datetime) -> dict:
    """The outbox row of this order's final status (one per order and status)."""
    return notice_row(
        TOPIC_NAME, source=SOURCE, source_txn_id=f"{order.id}:{order.status}", account_id=order.from_account_id,
        kind="transfer_out", amount_fen=-order.amount_fen, occurred_at=finished_at, openid=order.openid,
        counterparty=order.payee_name_masked, payload=json.dumps(asdict(Outcome.of(order)), ensure_ascii=False))


def release_row(order: TransferOrder) -> dict:
    """The scheduled release of a held order: an outbox row due at its release time (RELEASE_TOPIC's `run`)."""
    row = notice_row(
        RELEASE_TOPIC, source=SOURCE, source_txn_id=f"{order.id}:release", account_id=order.from_account_id,
        kind="transfer_out", amount_fen=-order.amount_fen, occurred_at=order.release_at, openid=order.openid,
        payload=json.dumps({"order_id": order.id}))
    return row


def _release_text(outcome: Outcome, config) -> str:
    if not outcome.release_at:
        return ""
    moment = datetime.fromisoformat(outcome.release_at).replace(tzinfo=UTC).astimezone(ZoneInfo(config["TIMEZONE"]))
    return f"{moment:%m月%d日 %H:%M}"


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
    elif outcome.status == HELD:
        head, tail = _("【转账已受理】"), _("已扣款，将于 %(time)s 到账；到账前可在“转账汇款”页面撤销。",
                                        time=_release_text(outcome, config))
    elif outcome.status == UNDER_REVIEW:
        head = _("【转账待核实】")
        tail = _("已暂缓转出：为保护您的资金安全，本行将致电您核实，核实前资金不会转给收款人。"
                 "如对方自称公检法、客服或要求您转账到“安全账户”，均为诈骗，请立即撤销。")
    elif outcome.status == REVOKED:
        head, tail = _("【转账已撤销】"), _("已按您的要求撤销，资金已退回您的银行卡。")
    elif outcome.status == REFUSED:
        head, tail = _("【转账已取消】"), _("经本行核实未予转出，资金已退回您的银行卡。")
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
    if status == HELD:
        return _("待到账")
    if status == UNDER_REVIEW:
        return _("待核实")
    if status == REVOKED:
        return _("已撤销")
    if status == REFUSED:
        return _("已取消")
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


def _run_release(row) -> None:
    from .service import run_release  # the service writes this topic's rows; it is imported only when one runs

    run_release(row)


def _no_recipient(connection, rows, config) -> dict:
    return {}


RELEASE = Topic(RELEASE_TOPIC, _no_recipient, lambda config: "", lambda *args: {}, lambda *args: "",
                run=_run_release)


def install(app) -> None:
    register(TOPIC)
    register(RELEASE)
