"""Credit cards (信用卡): the customer's bound credit cards, their statements, and repaying them from the
customer's own bound debit card with the transaction PIN.

Banks keep money-moving on WeChat narrow; a repayment is allowed because it moves money between the customer's
OWN accounts. So both cards must be active bindings of this WeChat user (the card kind is the core's answer),
the two accounts must have the same holder (checked here before the PIN, and by the core, which refuses
`not_own_account` between two customers), and the amount never exceeds what the card owes.

`place_repayment` checks the form (cards, mode full / minimum / amount, amount in fen, at most what is owed)
and records the repayment under the form's idempotency key: the same key again returns the same record.
`confirm_repayment` checks the PIN through the transfers' PIN guard (transfers/service.check_transaction_pin:
wrong PINs count per card for transfers and repayments alike), claims the record atomically
(awaiting_pin -> processing) so a double tap posts once, and posts it with the same key as the core's
idempotency key. A refusal names the field (`RepaymentRefused.field`) and stores nothing but the refused order.
"""

import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ...core_banking.current import get_core
from ...core_banking.port import (
    CARD_CREDIT,
    CARD_DEBIT,
    Account,
    CoreBankingError,
    CoreUnavailable,
    CreditCard,
    CreditStatement,
    IdempotencyConflict,
    NotOwnAccount,
    RepaymentRequest,
)
from ...extensions import db
from ...outbox.models import PENDING, Notice
from ...settings.sections import Transfers
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ...shared.money import AmountError, format_yuan, parse_yuan
from ...shared.timeutil import utcnow
from ..binding.service import active_bindings, binding_for
from ..transfers.service import PinRejected, TransferRefused, check_transaction_pin
from .models import (
    AWAITING_PIN,
    FAILED,
    MODE_AMOUNT,
    MODE_FULL,
    MODE_MINIMUM,
    MODES,
    POSTED,
    PROCESSING,
    UNCONFIRMED,
    CreditRepayment,
)

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_REPAYMENT_FEN = 10**12  # ten billion yuan: far above any card's limit, inside BIGINT


class RepaymentRefused(DomainError):
    """The repayment cannot go on; `field` names the form field at fault (card, from_card, mode, amount, pin or
    form), `message` (translated) says why."""

    code, message = "repayment_refused", _l("无法还款")

    def __init__(self, message: str, field: str = "form") -> None:
        super().__init__(message)
        self.field = field


class RepaymentConflict(RepaymentRefused):
    """The form's idempotency key belongs to another customer or to a repayment with other content."""

    code = "repayment_conflict"


class CardNotOwned(RepaymentRefused):
    """The credit card or the paying card is not an active binding of this customer (or not of the right kind)."""

    code = "repayment_card_not_owned"


@dataclass(frozen=True)
class BoundCard:
    """A binding of this customer with the core's account behind it."""

    binding: object  # binding.service's CardBinding
    account: Account

    @property
    def id(self) -> int:
        return self.binding.id

    @property
    def card_mask(self) -> str:
        return self.binding.card_mask


@dataclass(frozen=True)
class CardSummary:
    card: BoundCard
    credit: CreditCard
    latest: CreditStatement | None  # the newest statement, if one was cut


def _bound(openid: str, kind: str) -> list[BoundCard]:
    """The customer's active bindings whose account is of this kind (the core's answer). A card the core no
    longer knows is left out."""
    core = get_core()
    found = []
    for binding in active_bindings(openid):
        try:
            account = core.get_account(binding.account_id)
        except CoreUnavailable:
            raise
        except CoreBankingError:
            continue
        if account.kind == kind:
            found.append(BoundCard(binding, account))
    return found


def credit_cards_of(openid: str) -> list[BoundCard]:
    return _bound(openid, CARD_CREDIT)


def debit_cards_of(openid: str) -> list[BoundCard]:
    return _bound(openid, CARD_DEBIT)


def summary(card: BoundCard) -> CardSummary:
    core = get_core()
    statements = core.credit_statements(card.account.account_id, limit=1)
    return CardSummary(card, core.credit_card(card.account.account_id), statements[0] if statements else None)


def statements_of(card: BoundCard, limit: int = 6) -> list[CreditStatement]:
    return get_core().credit_statements(card.account.account_id, limit=limit)


def own_credit_card(openid: str, binding_id) -> BoundCard:
    """This customer's bound credit card with this binding id, or RepaymentRefused naming `card`."""
    binding = binding_for(openid, binding_id)
    if binding is not None:
        try:
            account = get_core().get_account(binding.account_id)
        except CoreUnavailable:
            raise
        except CoreBankingError:
            account = None
        if account is not None and account.kind == CARD_CREDIT:
            return BoundCard(binding, account)
    log.warning("repayment refused: binding %r is not a bound credit card of %s", str(binding_id)[:32],
                mask_openid(openid))
    raise CardNotOwned(_("请选择您已绑定的信用卡"), "card")


def _own_debit_card(openid: str, binding_id, card: BoundCard) -> BoundCard:
    binding = binding_for(openid, binding_id)
    account = None
    if binding is not None:
        try:
            account = get_core().get_account(binding.account_id)
        except CoreUnavailable:
            raise
        except CoreBankingError:
            account = None
    if account is None or account.kind != CARD_DEBIT:
        log.warning("repayment refused: binding %r is not a bound debit card of %s", str(binding_id)[:32],
                    mask_openid(openid))
        raise CardNotOwned(_("还款卡须为您已绑定的本人借记卡，请重新选择"), "from_card")
    if re.sub(r"\s+", "", account.holder_name) != re.sub(r"\s+", "", card.account.holder_name):
        log.warning("repayment refused: the debit card and the credit card of %s have different holders",
                    mask_openid(openid))
        raise CardNotOwned(str(NotOwnAccount.message), "from_card")
    return BoundCard(binding, account)


@dataclass(frozen=True)
class RepaymentInput:
    """What the form sent, as text."""

    idempotency_key: str
    card: str
    from_card: str
    mode: str
    amount: str = ""

    @classmethod
    def from_form(cls, form) -> "RepaymentInput":
        return cls(*(str(form.get(name, "")) for name in ("idempotency_key", "card", "from_card", "mode", "amount")))


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def order_by_key(key: str) -> CreditRepayment | None:
    return db.session.execute(select(CreditRepayment).where(CreditRepayment.idempotency_key == key)
                              ).scalar_one_or_none()


def customer_repayment(openid: str, key: str) -> CreditRepayment | None:
    """The repayment for this key if it is this customer's (another customer's key looks like none)."""
    order = order_by_key(key) if IDEMPOTENCY_KEY.fullmatch(key or "") else None
    return order if order is not None and order.openid == openid else None


def amount_for(mode: str, amount_text: str, credit: CreditCard, latest: CreditStatement | None) -> int:
    """The amount in fen for a mode: full = what the latest statement still owes (everything owed when it owes
    nothing more), minimum = what is left of its minimum payment, amount = the typed amount (fen-exact, at most
    what the card owes). RepaymentRefused names `mode` or `amount`."""
    if mode not in MODES:
        raise RepaymentRefused(_("请选择还款方式"), "mode")
    if credit.owed_fen <= 0:
        raise RepaymentRefused(_("该信用卡当前没有欠款，无需还款"), "card")
    if mode == MODE_FULL:
        return latest.remaining_fen if latest is not None and latest.remaining_fen > 0 else credit.owed_fen
    if mode == MODE_MINIMUM:
        if latest is None or latest.minimum_remaining_fen <= 0:
            raise RepaymentRefused(_("本期最低还款额已还清，可选择全额或自定义金额还款"), "mode")
        return min(latest.minimum_remaining_fen, credit.owed_fen)
    try:
        fen = parse_yuan(amount_text, _("还款金额"), grouping=True)
    except AmountError as exc:
        raise RepaymentRefused(exc.message, "amount") from None
    if fen > MAX_REPAYMENT_FEN or fen > credit.owed_fen:
        raise RepaymentRefused(_("还款金额不能超过信用卡当前欠款 %(owed)s 元", owed=format_yuan(credit.owed_fen)),
                               "amount")
    return fen


def _same_intent(order: CreditRepayment, card: BoundCard, source: BoundCard, mode: str, fen: int) -> bool:
    return (order.card_binding_id, order.from_binding_id, order.mode, order.amount_fen) == (
        card.id, source.id, mode, fen)


def place_repayment(openid: str, data: RepaymentInput) -> CreditRepayment:
    """Validate the form and record (or find again) the repayment for its idempotency key; commits."""
    if not IDEMPOTENCY_KEY.fullmatch(data.idempotency_key or ""):
        raise RepaymentConflict(_("页面已失效，请重新发起还款"), "form")
    existing = order_by_key(data.idempotency_key)
    if existing is not None and existing.openid != openid:
        raise RepaymentConflict(_("页面已失效，请重新发起还款"), "form")
    card = own_credit_card(openid, data.card)
    source = _own_debit_card(openid, data.from_card, card)
    mode = data.mode.strip()
    if existing is not None and existing.card_binding_id == card.id and existing.from_binding_id == source.id \
            and existing.mode == mode and mode != MODE_AMOUNT:
        return existing  # full or minimum resent: the amount was fixed when it was first placed
    now_summary = summary(card)
    fen = amount_for(mode, data.amount, now_summary.credit, now_summary.latest)
    if existing is not None:
        if _same_intent(existing, card, source, mode, fen):
            return existing
        raise RepaymentConflict(str(IdempotencyConflict.message), "form")
    order = CreditRepayment(
        idempotency_key=data.idempotency_key, openid=openid, card_binding_id=card.id,
        card_account_id=card.account.account_id, card_mask=card.card_mask, from_binding_id=source.id,
        from_account_id=source.account.account_id, from_card_mask=source.card_mask, mode=mode,
        statement_id=now_summary.latest.statement_id if now_summary.latest is not None else None,
        amount_fen=fen, status=AWAITING_PIN)
    db.session.add(order)
    try:
        db.session.commit()
    except IntegrityError:  # the same key placed at the same moment (a double tap): that record is the one
        db.session.rollback()
        existing = order_by_key(data.idempotency_key)
        if existing is None or existing.openid != openid or not _same_intent(existing, card, source, mode, fen):
            raise RepaymentConflict(str(IdempotencyConflict.message), "form") from None
        return existing
    return order


def _claim(order: CreditRepayment) -> bool:
    """awaiting_pin -> processing, atomically: only one request ever posts a repayment."""
    claimed = db.session.execute(
        update(CreditRepayment)
        .where(CreditRepayment.id == order.id, CreditRepayment.status == AWAITING_PIN)
        .values(status=PROCESSING, submitted_at=utcnow())
    ).rowcount
    db.session.commit()
    db.session.refresh(order)
    return claimed == 1


def _finish(order: CreditRepayment, status: str, *, code: str | None = None, message=None) -> None:
    order.status = status
    order.failure_code = code
    order.failure_message = str(message)[:200] if message is not None else None
    order.finished_at = utcnow()
    if status == POSTED and order.owed_after_fen == 0:
        drop_pending_reminders(order.card_account_id)
    db.session.commit()


def drop_pending_reminders(card_account_id: str) -> None:
    """A card that owes nothing any more needs no due-date reminder: its pending ones go (sent ones stay)."""
    from .notify import SOURCE_REMINDER  # the topic module imports this one's models only

    db.session.execute(delete(Notice).where(Notice.source == SOURCE_REMINDER, Notice.account_id == card_account_id,
                                            Notice.state == PENDING))


def confirm_repayment(openid: str, order: CreditRepayment, pin: str, transfers: Transfers) -> CreditRepayment:
    """Check the PIN and post the repayment once. Returns the record (already handled ones unchanged); raises
    PinRejected (PinLocked), RepaymentRefused or CoreUnavailable with nothing posted."""
    if order.status != AWAITING_PIN:
        return order
    card = binding_for(openid, order.card_binding_id)
    source = binding_for(openid, order.from_binding_id)
    if card is None or source is None or card.account_id != order.card_account_id \
            or source.account_id != order.from_account_id:
        raise CardNotOwned(_("还款卡或信用卡已解绑，请重新发起还款"), "from_card")
    try:
        check_transaction_pin(order.from_account_id, pin, transfers)
    except PinRejected:
        raise
    except TransferRefused as exc:
        raise RepaymentRefused(exc.message, "pin") from None
    if not _claim(order):
        return order
    _send_to_core(order)
    log.info("credit repayment %s: %s", order.id, order.status)
    return order


def _send_to_core(order: CreditRepayment) -> None:
    db.session.commit()  # the ledger adapter works on its own connection: nothing of ours may be pending
    request = RepaymentRequest(idempotency_key=order.idempotency_key, from_account_id=order.from_account_id,
                               card_account_id=order.card_account_id, amount_fen=order.amount_fen)
    try:
        result = get_core().repay_credit_card(request)
    except CoreUnavailable as exc:
        db.session.rollback()
        _finish(order, UNCONFIRMED, code=exc.code, message=exc.message)
    except CoreBankingError as exc:
        db.session.rollback()
        _finish(order, FAILED, code=exc.code, message=exc.message)
    except Exception as exc:  # noqa: BLE001 - whatever happened, the customer gets a page, not a 500
        db.session.rollback()
        log.exception("credit repayment %s: the core raised %s", order.id, type(exc).__name__)
        _finish(order, UNCONFIRMED, code="unexpected",
                message=_("还款结果待确认，请稍后查询信用卡账单，切勿重复还款"))
    else:
        order.repayment_id = result.repayment_id
        order.owed_after_fen = result.owed_after_fen
        order.available_after_fen = result.available_credit_after_fen
        order.from_balance_after_fen = result.from_balance_after_fen
        _finish(order, POSTED)


def repayments_of(openid: str, card_account_id: str, limit: int = 10) -> list[CreditRepayment]:
    return list(db.session.execute(
        select(CreditRepayment).where(CreditRepayment.openid == openid,
                                      CreditRepayment.card_account_id == card_account_id,
                                      CreditRepayment.status != AWAITING_PIN)
        .order_by(CreditRepayment.id.desc()).limit(limit)).scalars())

