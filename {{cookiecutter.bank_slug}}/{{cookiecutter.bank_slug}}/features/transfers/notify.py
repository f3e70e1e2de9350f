"""The outcome of a transfer as a customer-service message to the customer (客服消息).

Sending is best effort: the transfer is done whatever WeChat says, so a failure is logged, never raised.
"""

import logging

from flask import current_app

from ...shared.i18n import _
from ...shared.masking import card_tail, mask_openid
from ...shared.money import format_yuan
from ...web.language import bank_name as language_bank_name
from ...wechat.client import get_client
from .banks import bank_name
from .models import FAILED, PENDING_SETTLEMENT, POSTED, TransferOrder

log = logging.getLogger(__name__)


def outcome_text(order: TransferOrder, config) -> str:
    """In the language of the request that confirmed the transfer (the customer's page)."""
    bank = bank_name(order.payee_bank, language_bank_name(config, short=True))
    what = _("您尾号 %(tail)s 的银行卡向%(bank)s %(payee)s（%(account)s）转账 %(amount)s 元",
             tail=card_tail(order.from_card_masked), bank=bank, payee=order.payee_name_masked,
             account=order.payee_masked, amount=format_yuan(order.amount_fen))
    if order.status == POSTED:
        head, tail = _("【转账成功】"), _("已成功转出。")
    elif order.status == PENDING_SETTLEMENT:
        head, tail = _("【转账已受理】"), _("已提交，正在处理中，到账时间以收款银行为准。")
    elif order.status == FAILED:
        head, tail = _("【转账失败】"), _("未成功：%(reason)s。资金未转出。",
                                       reason=order.failure_message or _("交易失败"))
    else:
        head, tail = _("【转账处理中】"), _("结果待确认，请稍后查询账户明细，切勿重复转账。")
    return head + what + tail + _("如非本人操作，请立即致电客服热线 %(hotline)s。", hotline=config["SERVICE_HOTLINE"])


def send_outcome(order: TransferOrder) -> bool:
    try:
        get_client().message.send_text(order.openid, outcome_text(order, current_app.config))
    except Exception as exc:  # noqa: BLE001 - WeChat down or refusing must not undo or hide the transfer
        log.warning("transfer order %s: outcome message to %s not sent (%s)", order.id, mask_openid(order.openid),
                    type(exc).__name__)
        return False
    return True
