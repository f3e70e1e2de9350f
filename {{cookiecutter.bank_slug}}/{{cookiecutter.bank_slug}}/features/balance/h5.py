"""/h5/balance: the available and ledger balance of every card the customer has bound, and the recent
transactions of one of them (?card=<binding id>, the first card by default).

Only the customer's own active bindings are ever read: any other binding id is a 404, a `card` that is no
integer a 400. A card the core does not know (or has frozen) shows the hotline while the other cards still
show; a core that cannot answer is a 503 page. Cards appear masked only; money is integer fen, formatted
without float.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, g, render_template, request, url_for

from ...core_banking.current import get_core
from ...core_banking.port import AccountNotActive, AccountNotFound, Balance, CoreBankingError, Transaction
from ...h5.errors import error_page
from ...h5.oauth import customer_required
from ...shared.i18n import _
from ...shared.masking import mask_name, mask_openid, scrub
from ...shared.money import format_yuan
from ...shared.timeutil import local_time, utcnow
from ..alerts.service import kind_label
from ..binding.service import CardBinding, active_bindings

log = logging.getLogger(__name__)

bp = Blueprint("balance", __name__)

HISTORY_LIMIT = 10
MAX_CARD_PARAM = 32  # characters: far beyond any row id; a longer `card` is refused as malformed
CARD_PARAM = re.compile(r"[+-]?[0-9]+")  # ASCII digits only (\d would take other scripts)


class BadCardParameter(ValueError):
    """`card` is not an integer."""


@dataclass(frozen=True)
class CardView:
    """One bound card on the page; `balance` is None when the core has no account for it."""

    binding: CardBinding
    balance: Balance | None

    @property
    def available(self) -> str:
        return format_yuan(self.balance.available_fen) if self.balance else ""

    @property
    def ledger(self) -> str:
        return format_yuan(self.balance.ledger_fen) if self.balance else ""


@dataclass(frozen=True)
class TransactionView:
    """One line of the history, ready to show: local time, what it was, signed amount, balance after."""

    occurred: datetime
    label: str
    detail: str  # counterparty (masked) and memo (scrubbed)
    sign: str  # "+", "-" or "" for zero
    amount: str  # yuan, without sign
    balance_after: str | None

    @classmethod
    def of(cls, transaction: Transaction) -> "TransactionView":
        fen = transaction.amount_fen
        parts = [mask_name(transaction.counterparty_name), scrub(transaction.memo or "").strip()]
        after = transaction.balance_after_fen
        return cls(
            occurred=local_time(transaction.occurred_at),
            label=kind_label(transaction.kind, fen),
            detail=" · ".join(part for part in parts if part),
            sign="+" if fen > 0 else "-" if fen < 0 else "",
            amount=format_yuan(abs(fen)),
            balance_after=format_yuan(after) if isinstance(after, int) else None,
        )


def _error(title: str, reason: str, status: int, retry: str | None = None):
    return error_page(title, reason, status, retry or url_for("h5.balance.page"))


def parse_card(value: str | None) -> int | None:
    """The binding id asked for: None when absent; BadCardParameter when it is no integer."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > MAX_CARD_PARAM or not CARD_PARAM.fullmatch(text):
        raise BadCardParameter(value)
    return int(text)



def _core_down(exc: CoreBankingError, retry: str):
    log.warning("balance page: core refused: %s", exc.code)
    return _error(_("余额查询暂不可用"),
                  _("抱歉，核心系统暂时无法访问，余额查询暂时无法使用，请稍后再试。"
                    "如需帮助请致电客服热线 %(hotline)s。", hotline=current_app.config["SERVICE_HOTLINE"]), 503, retry)


def _balance_or_none(core, binding: CardBinding) -> Balance | None:
    """The card's balance; None when the core has no (or no active) account for it: the other cards still show."""
    try:
        return core.balance(binding.account_id)
    except (AccountNotFound, AccountNotActive) as exc:
        log.warning("balance page: bound card %s: the core answered %s", binding.card_mask, exc.code)
        return None


def _history(core, card: CardView) -> list[TransactionView] | None:
    """The card's recent transactions, newest first; None when the core has no account for it."""
    if card.balance is None:
        return None
    try:
        transactions = core.recent_transactions(card.binding.account_id, limit=HISTORY_LIMIT)
    except (AccountNotFound, AccountNotActive) as exc:
        log.warning("balance page: bound card %s has no history: the core answered %s", card.binding.card_mask,
                    exc.code)
        return None
    return [TransactionView.of(transaction) for transaction in transactions[:HISTORY_LIMIT]]


@bp.get("/balance")
@customer_required
def page():
    try:
        wanted = parse_card(request.args.get("card"))
    except BadCardParameter:
        return _error(_("请求无效"), _("银行卡参数无效，请返回余额查询页面重新选择银行卡。"), 400)
    bindings = active_bindings(g.openid)
    if wanted is None and not bindings:
        return render_template("h5/balance/no_card.html", customer=mask_openid(g.openid))
    selected = bindings[0] if wanted is None else next((b for b in bindings if b.id == wanted), None)
    if selected is None:
        log.info("balance page: binding %s is not an active card of %s", wanted, mask_openid(g.openid))
        return _error(_("银行卡不存在"), _("未找到这张银行卡，或它不是您绑定的银行卡。"), 404)
    core = get_core()
    try:
        cards = [CardView(binding, _balance_or_none(core, binding)) for binding in bindings]
        current = next(card for card in cards if card.binding.id == selected.id)
        history = _history(core, current)
    except CoreBankingError as exc:
        return _core_down(exc, url_for("h5.balance.page", card=selected.id))
    moments = [card.balance.as_of for card in cards if card.balance is not None]
    return render_template(
        "h5/balance/page.html", cards=cards, current=current, history=history,
        queried_at=local_time(max(moments) if moments else utcnow()),
        hotline=current_app.config["SERVICE_HOTLINE"], limit=HISTORY_LIMIT, customer=mask_openid(g.openid),
    )
