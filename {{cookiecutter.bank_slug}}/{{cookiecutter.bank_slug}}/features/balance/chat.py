"""余额 / the BALANCE menu key: the available balance of every bound card and a link to the H5 balance page
(/h5/balance: ledger balance and recent transactions).

Cards are shown masked (6228 **** **** 1234), money in yuan from integer fen, the time in the bank's
time zone. A customer without a bound card gets the link to the binding page instead.
"""

import logging

from flask import current_app

from ...core_banking.current import get_core
from ...core_banking.port import AccountNotFound, CoreBankingError
from ...h5.links import public_url
from ...shared.i18n import _, _l
from ...shared.money import format_cny
from ...shared.timeutil import local_time, utcnow
from ..binding.service import active_bindings

log = logging.getLogger(__name__)

MENU_KEY = "BALANCE"
NOT_BOUND = _l("您还没有绑定银行卡。<a href=\"{url}\">点此绑定银行卡</a>，绑定后即可查询余额、转账和接收动账提醒。")
CARD_UNAVAILABLE = _l("{card}\n暂时无法查询，请致电客服热线 {hotline}")
CORE_DOWN = _l("抱歉，余额查询暂时无法使用，请稍后再试。如需帮助请致电客服热线 {hotline}。")
DETAIL_LINK = _l("<a href=\"{url}\">查看明细</a>")


def bind_url() -> str:
    return public_url("h5.binding.form")


def balance_page_url() -> str:
    return public_url("h5.balance.page")


def balance_text(openid: str) -> str:
    bindings = active_bindings(openid)
    if not bindings:
        return NOT_BOUND.format(url=bind_url())
    hotline = current_app.config["SERVICE_HOTLINE"]
    core = get_core()
    lines = [_("您的账户余额：")]
    as_of = None
    for binding in bindings:
        try:
            balance = core.balance(binding.account_id)
        except AccountNotFound:
            log.warning("bound card %s has no account in the core", binding.card_mask)
            lines.append(CARD_UNAVAILABLE.format(card=binding.card_mask, hotline=hotline))
            continue
        except CoreBankingError as exc:
            log.warning("balance query failed: %s", exc.code)
            return CORE_DOWN.format(hotline=hotline)
        amount = format_cny(balance.available_fen)
        lines.append(_("%(card)s\n可用余额 %(amount)s", card=binding.card_mask, amount=amount))
        as_of = balance.as_of if as_of is None else max(as_of, balance.as_of)
    lines.append(_("查询时间：%(time)s", time=f"{local_time(as_of or utcnow()):%Y-%m-%d %H:%M}"))
    lines.append(DETAIL_LINK.format(url=balance_page_url()))  # the H5 page: ledger balance, recent transactions
    return "\n".join(lines)


def register(router) -> None:
    def on_balance(message):
        return balance_text(message.source)

    # slow: it asks the core banking system, which may be a remote one (wechat/processing.py)
    router.text("余额", "查余额", "余额查询", summary=_l("查询已绑定银行卡的余额"), order=200, slow=True)(on_balance)
    router.click(MENU_KEY, slow=True)(on_balance)
