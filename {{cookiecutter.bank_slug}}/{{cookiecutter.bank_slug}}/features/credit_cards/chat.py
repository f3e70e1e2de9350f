"""账单 / 信用卡账单 and 还款 / 信用卡还款 (and the CREDIT menu key): the newest statement of every bound credit card
(masked card, amount due, minimum payment, due date) with links to the statement and repayment pages on /h5/credit.
A customer without a bound credit card gets the link to the binding page."""

import logging

from flask import current_app

from ...core_banking.port import CoreBankingError
from ...h5.links import public_url
from ...shared.i18n import _, _l
from ...shared.money import format_cny
from .service import credit_cards_of, summary

log = logging.getLogger(__name__)

MENU_KEY = "CREDIT"
NOT_BOUND = _l("您还没有绑定信用卡。<a href=\"{url}\">点此绑定信用卡</a>，绑定后即可查询账单、用本人借记卡还款。")
CORE_DOWN = _l("抱歉，信用卡账单暂时无法查询，请稍后再试。如需帮助请致电客服热线 {hotline}。")


def _statement_lines(openid: str) -> list[str] | str:
    cards = credit_cards_of(openid)
    if not cards:
        return NOT_BOUND.format(url=public_url("h5.binding.form"))
    lines = []
    for card in cards:
        view = summary(card)
        latest = view.latest
        if latest is None:
            lines.append(_("%(card)s\n尚未出账单，当前欠款 %(owed)s，可用额度 %(available)s", card=card.card_mask,
                           owed=format_cny(view.credit.owed_fen),
                           available=format_cny(view.credit.available_credit_fen)))
            continue
        due = latest.due_date
        if latest.remaining_fen > 0:
            lines.append(_("%(card)s\n本期应还 %(amount)s，最低还款 %(minimum)s，到期还款日 %(month)s月%(day)s日",
                           card=card.card_mask, amount=format_cny(latest.remaining_fen),
                           minimum=format_cny(latest.minimum_remaining_fen), month=due.month, day=due.day))
        else:
            lines.append(_("%(card)s\n本期账单 %(amount)s 已还清", card=card.card_mask,
                           amount=format_cny(latest.new_balance_fen)))
        lines.append(_("可用额度 %(available)s", available=format_cny(view.credit.available_credit_fen)))
    return lines


def statement_text(openid: str) -> str:
    try:
        lines = _statement_lines(openid)
    except CoreBankingError as exc:
        log.warning("credit statement query failed: %s", exc.code)
        return CORE_DOWN.format(hotline=current_app.config["SERVICE_HOTLINE"])
    if isinstance(lines, str):
        return lines
    link = public_url("h5.credit.index")
    return "\n".join([_("您的信用卡账单："), *lines, _('<a href="%(link)s">查看账单明细</a>', link=link)])


def repay_text(openid: str) -> str:
    try:
        lines = _statement_lines(openid)
    except CoreBankingError as exc:
        log.warning("credit statement query failed: %s", exc.code)
        return CORE_DOWN.format(hotline=current_app.config["SERVICE_HOTLINE"])
    if isinstance(lines, str):
        return lines
    link = public_url("h5.credit.index")
    return "\n".join([_("信用卡还款：使用本人名下已绑定的借记卡还款，需输入交易密码。"), *lines,
                      _('<a href="%(link)s">点此还款</a>', link=link)])


def register(router) -> None:
    def on_statement(message):
        return statement_text(message.source)

    def on_repay(message):
        return repay_text(message.source)

    # slow: they ask the core banking system, which may be a remote one (wechat/processing.py)
    router.text("账单", "信用卡账单", "信用卡", "查账单", summary=_l("查询信用卡账单"), order=320,
                slow=True)(on_statement)
    router.text("还款", "信用卡还款", summary=_l("用本人借记卡还信用卡"), order=330, slow=True)(on_repay)
    router.click(MENU_KEY, slow=True)(on_statement)
