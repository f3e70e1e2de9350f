"""What the customer reads: the template message's values and the SMS text of one alert.

WeChat's template messages (since May 2023) show only the template's keywords, each value at most
20 characters of the keyword's type (thing: text, amount: ¥ and digits, time: a date-time,
character_string: ASCII); no first line, remark or colour. Which keyword carries what is configured
(ALERT_TEMPLATE_FIELDS), because each account picks its own template from WeChat's library.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask_babel import get_locale

from ...shared.i18n import _, _l
from ...shared.money import yuan_text
from ...sms import ALERT_TEMPLATE, SmsText

# What the transaction was, by kind; "other" (and unknown kinds) go by the sign. Lazy: in DEFAULT_LOCALE for
# messages the dispatcher sends, in the page's language on the H5 pages.
KIND_LABELS = {
    "transfer_in": _l("转账收入"), "transfer_out": _l("转账支出"), "deposit": _l("存入"), "withdrawal": _l("取现"),
    "purchase": _l("消费"), "refund": _l("退款"),
    "repayment": _l("信用卡还款"), "fee": _l("手续费"), "interest": _l("利息"), "salary": _l("代发工资"),
}
ROLES = ("type", "amount", "time", "card", "balance")  # what ALERT_TEMPLATE_FIELDS maps to keywords


def kind_label(kind: str, amount_fen: int) -> str:
    """The transaction type in the current locale (the dispatcher's: DEFAULT_LOCALE; a page's: its language)."""
    return _kind_label(kind, amount_fen > 0, str(get_locale()))


@lru_cache(maxsize=256)  # a few kinds x signs x locales; looking a label up costs two catalogue look-ups
def _kind_label(kind: str, money_in: bool, locale: str) -> str:  # noqa: ARG001 - the locale is the cache's key
    label = KIND_LABELS.get(kind)
    return str(label if label is not None else (_l("收入") if money_in else _l("支出")))


def yuan(fen: int) -> str:
    """12345 -> "123.45": no separators (WeChat's amount keyword takes none); the sign is shown by the type."""
    return yuan_text(abs(fen))


def card_tail(card_mask: str) -> str:
    digits = re.sub(r"\D", "", card_mask or "")
    return digits[-4:] if len(digits) >= 4 else "****"


def local(moment: datetime, timezone: str) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))


@dataclass(frozen=True)
class AlertView:
    """The parts of an alert a message needs."""

    alert_id: int
    kind: str
    amount_fen: int
    balance_after_fen: int | None
    occurred_at: datetime  # naive UTC
    card_mask: str


def template_values(view: AlertView, timezone: str) -> dict[str, str]:
    """Role -> value, each fitting WeChat's rule for its keyword type."""
    return {
        "type": kind_label(view.kind, view.amount_fen),
        "amount": f"¥{yuan(view.amount_fen)}",
        "time": f"{local(view.occurred_at, timezone):%Y年%m月%d日 %H:%M}",
        "card": card_tail(view.card_mask),
        "balance": f"¥{yuan(view.balance_after_fen)}" if view.balance_after_fen is not None else "¥0.00",
    }


def template_payload(view: AlertView, *, openid: str, template_id: str, fields: dict[str, str], timezone: str,
                     url: str) -> dict:
    """The body of POST /cgi-bin/message/template/send."""
    values = template_values(view, timezone)
    return {
        "touser": openid,
        "template_id": template_id,
        "url": url,
        "data": {keyword: {"value": values[role]} for role, keyword in fields.items()},
    }


def sms_text(view: AlertView, *, bank_short_name: str, timezone: str) -> str:
    """【青山农商银行】您尾号1234的账户11月23日14:30转账支出500.00元，余额12345.67元。"""
    when = local(view.occurred_at, timezone)
    balance = (_("，余额%(amount)s元", amount=yuan(view.balance_after_fen))
               if view.balance_after_fen is not None else "")
    tail, kind, amount = card_tail(view.card_mask), kind_label(view.kind, view.amount_fen), yuan(view.amount_fen)
    text = _("【%(bank)s】您尾号%(tail)s的账户%(month)s月%(day)s日%(time)s%(kind)s%(amount)s元%(balance)s。",
             bank=bank_short_name, tail=tail, month=when.month, day=when.day, time=f"{when:%H:%M}", kind=kind,
             amount=amount, balance=balance)
    balance_yuan = yuan(view.balance_after_fen) if view.balance_after_fen is not None else ""
    return SmsText(text, ALERT_TEMPLATE, (tail, f"{when.month}月{when.day}日{when:%H:%M}", kind, amount, balance_yuan))
