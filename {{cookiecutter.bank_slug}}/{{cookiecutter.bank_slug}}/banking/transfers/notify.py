"""The outcome of a transfer as a customer-service message to the customer (客服消息).

Sending is best effort: the transfer is done whatever WeChat says, so a failure is logged, never raised.
"""

import logging

from flask import current_app

from ...masking import card_tail, mask_openid
from ...wechat.client import get_client
from .amounts import format_yuan
from .banks import bank_name
from .models import FAILED, PENDING_SETTLEMENT, POSTED, TransferOrder

log = logging.getLogger(__name__)


def outcome_text(order: TransferOrder, config) -> str:
    bank = bank_name(order.payee_bank, config["BANK_SHORT_NAME"])
    what = (f"您尾号 {card_tail(order.from_card_masked)} 的银行卡向{bank} {order.payee_name_masked}"
            f"（{order.payee_masked}）转账 {format_yuan(order.amount_fen)} 元")
    if order.status == POSTED:
        head, tail = "【转账成功】", "已成功转出。"
    elif order.status == PENDING_SETTLEMENT:
        head, tail = "【转账已受理】", "已提交，正在处理中，到账时间以收款银行为准。"
    elif order.status == FAILED:
        head, tail = "【转账失败】", f"未成功：{order.failure_message or '交易失败'}。资金未转出。"
    else:
        head, tail = "【转账处理中】", "结果待确认，请稍后查询账户明细，切勿重复转账。"
    return f"{head}{what}{tail}如非本人操作，请立即致电客服热线 {config['SERVICE_HOTLINE']}。"


def send_outcome(order: TransferOrder) -> bool:
    try:
        get_client().message.send_text(order.openid, outcome_text(order, current_app.config))
    except Exception as exc:  # noqa: BLE001 - WeChat down or refusing must not undo or hide the transfer
        log.warning("transfer order %s: outcome message to %s not sent (%s)", order.id, mask_openid(order.openid),
                    type(exc).__name__)
        return False
    return True
