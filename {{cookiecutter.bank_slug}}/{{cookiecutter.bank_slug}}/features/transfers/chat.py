"""转账 / 汇款: the link to the transfer page (the menu's 账户 → 转账 opens the same page)."""

from flask import current_app

from ...h5.links import public_url
from ...shared.i18n import _l
from ...shared.money import format_yuan

TRANSFER_LINK = _l("向本行及他行账户转账，请<a href=\"{url}\">点此进入转账汇款</a>（须先绑定本行银行卡）。\n"
                   "单笔限额 {single} 元，每卡每日累计 {daily} 元。请核对收款人信息，谨防电信诈骗。")


def transfer_url() -> str:
    return public_url("h5.transfer.form")


def transfer_text() -> str:
    config = current_app.config
    return TRANSFER_LINK.format(url=transfer_url(), single=format_yuan(config["SINGLE_TRANSFER_LIMIT_FEN"]),
                                daily=format_yuan(config["DAILY_TRANSFER_LIMIT_FEN"]))


def register(router) -> None:
    def on_transfer(message):
        return transfer_text()

    router.text("转账", "转帐", "汇款", "转账汇款", summary=_l("转账汇款"), order=300)(on_transfer)
