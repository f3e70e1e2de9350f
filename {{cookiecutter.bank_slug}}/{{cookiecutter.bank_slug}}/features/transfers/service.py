"""Placing a transfer order from the form, then confirming it with the PIN and posting it through the port.

`place_order` checks everything that can be checked before the PIN (the card is the customer's own,
payee number, name, bank, amount, limits, not to the same account) and records the order under the
form's idempotency key: the same key again returns the same order. `confirm_order` verifies the PIN
(counting wrong ones per card), claims the order atomically (awaiting_pin -> processing) so a double
tap posts once, checks the day's limits again and posts with the same key as the port's idempotency key.
Both take the Transfers settings section (limits, PIN lock, the bank's day). Refusals are domain errors
(TransferRefused and its kinds, LimitExceeded, CoreUnavailable); the H5 pages map their codes to statuses.
The order's final status and its outcome notice (an outbox row, notify.py) are stored by one commit.

Payee look-ups: the core refuses a payee inside this bank as "no such account" or "name does not match";
the customer gets one generic refusal for both (PAYEE_REFUSAL), so the confirm step cannot be used to find a
stranger's name from an account number. Each such refused order counts: after PAYEE_CHECK_FAILURES_PER_DAY
of them in the bank's day, the customer's new orders are refused until the next day (PayeeChecksExhausted).
"""

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ... import settings
from ...core_banking.current import get_core
from ...core_banking.port import (
    CARD_CREDIT,
    CoreBankingError,
    CoreUnavailable,
    IdempotencyConflict,
    SameAccount,
    TransferRequest,
)
from ...extensions import db
from ...outbox.writer import add_notice
from ...settings.sections import Security, Transfers
from ...shared.cards import luhn_valid, normalise_card
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ...shared.money import AmountError, parse_yuan
from ...shared.timeutil import utcnow
from ..binding.service import binding_for
from . import pin_guard
from .banks import is_known_bank
from .limits import LimitExceeded, TransferLimits, check_limits, day_usage, local_day_utc
from .models import AWAITING_PIN, FAILED, PROCESSING, UNCONFIRMED, TransferOrder
from .notify import outcome_row

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
PIN = re.compile(r"[0-9]{6}")  # ASCII digits only
ACCOUNT_NUMBER = re.compile(r"[0-9]{8,32}")
CARD_LENGTHS = range(16, 20)  # 16-19 digits: a bank card, checked with Luhn; other lengths are account numbers
MAX_NAME_CHARS = 30
MAX_MEMO_CHARS = 20
PAYEE_REFUSALS = ("payee_not_found", "payee_name_mismatch")  # the core's codes, kept for the staff
PAYEE_REFUSAL = _l("收款账户信息有误，请核对户名与账号后重新发起")


class TransferRefused(DomainError):
    """The order cannot go on; `message` (translated) goes on the page."""

    code, message = "transfer_refused", _l("无法转账")


class CardNotOwned(TransferRefused):
    """The paying card is not an active binding of this customer."""

    code = "card_not_owned"


class OrderConflict(TransferRefused):
    """The form's idempotency key belongs to another customer or to an order with other content."""

    code = "order_conflict"


class PinRejected(TransferRefused):
    """The PIN step refused (wrong or malformed); nothing was posted."""

    code = "pin_rejected"

    def __init__(self, message: str, pin_status: pin_guard.PinStatus) -> None:
        super().__init__(message)
        self.pin_status = pin_status


class PinLocked(PinRejected):
    """Too many wrong PINs: transfers from the card are locked for a while."""

    code = "pin_locked"


class PayeeChecksExhausted(TransferRefused):
    """Too many orders refused today for a wrong payee name or number."""

    code = "payee_checks_exhausted"


def payee_failures_today(openid: str, timezone: str) -> int:
    """This customer's orders refused for the payee (either kind) in the bank's day."""
    start, end = local_day_utc(utcnow(), timezone)
    return db.session.execute(select(func.count(TransferOrder.id)).where(
        TransferOrder.openid == openid, TransferOrder.status == FAILED,
        TransferOrder.failure_code.in_(PAYEE_REFUSALS),
        TransferOrder.finished_at >= start, TransferOrder.finished_at < end)).scalar_one()


def _refuse_if_payee_checks_exhausted(openid: str, transfers: Transfers, security: Security | None) -> None:
    limit = (security or settings.of().security).payee_check_failures_per_day
    if payee_failures_today(openid, transfers.timezone) >= limit:
        log.warning("transfer refused: %s had %s payee look-ups refused today", mask_openid(openid), limit)
        raise PayeeChecksExhausted(_("今日收款账户信息核对失败次数过多，为保护您的账户安全，今日暂停转账，"
                                     "请明日再试或到网点办理。"))


@dataclass(frozen=True)
class TransferInput:
    """What the form sent, as text."""

    idempotency_key: str
    binding_id: str
    payee_number: str
    payee_name: str
    payee_bank: str
    amount: str
    memo: str = ""

    @classmethod
    def from_form(cls, form) -> "TransferInput":
        return cls(*(str(form.get(name, "")) for name in (
            "idempotency_key", "binding_id", "payee_number", "payee_name", "payee_bank", "amount", "memo")))


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def _clean_text(value: str) -> str:
    """NFKC, trimmed, without control characters."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    return "".join(char for char in value if unicodedata.category(char)[0] != "C")


def payee_number_of(text: str) -> str:
    """Digits of a payee card or account number; TransferRefused when it is not one."""
    typed = unicodedata.normalize("NFKC", text or "").strip()
    if not typed:
        raise TransferRefused(_("请输入收款账号或卡号"))
    digits = normalise_card(typed)
    if not ACCOUNT_NUMBER.fullmatch(digits):
        raise TransferRefused(_("收款账号应为 8 至 32 位数字，请核对"))
    if len(digits) in CARD_LENGTHS and not luhn_valid(digits):
        raise TransferRefused(_("收款卡号校验不通过，请核对卡号是否输入正确"))
    return digits


def _payee_name(text: str) -> str:
    name = _clean_text(text)
    if not name:
        raise TransferRefused(_("请输入收款人户名"))
    if len(name) > MAX_NAME_CHARS:
        raise TransferRefused(_("收款人户名最多 %(count)s 个字", count=MAX_NAME_CHARS))
    return name


def _memo(text: str) -> str:
    memo = _clean_text(text)
    if len(memo) > MAX_MEMO_CHARS:
        raise TransferRefused(_("附言最多 %(count)s 个字", count=MAX_MEMO_CHARS))
    return memo


def _key(text: str) -> str:
    if not IDEMPOTENCY_KEY.fullmatch(text or ""):
        raise TransferRefused(_("页面已失效，请重新发起转账"))
    return text


def own_binding(openid: str, binding_id):
    """The customer's own active binding, or TransferRefused: a card of someone else is never used."""
    binding = binding_for(openid, binding_id)
    if binding is None:
        log.warning("transfer refused: binding %r is not an active binding of %s", str(binding_id)[:32],
                    mask_openid(openid))
        raise CardNotOwned(_("付款卡不是您已绑定的银行卡，请重新选择"))
    return binding


def order_by_key(key: str) -> TransferOrder | None:
    return db.session.execute(select(TransferOrder).where(TransferOrder.idempotency_key == key)).scalar_one_or_none()


def _same_intent(order: TransferOrder, binding_id: int, payee: str, name: str, bank: str, fen: int, memo: str) -> bool:
    return (order.binding_id, order.payee_number, order.payee_name, order.payee_bank, order.amount_fen,
            order.memo) == (binding_id, payee, name, bank, fen, memo)


def place_order(openid: str, data: TransferInput, transfers: Transfers,
                security: Security | None = None) -> TransferOrder:
    """Validate the form and record (or find again) the order for its idempotency key."""
    key = _key(data.idempotency_key)
    existing = order_by_key(key)
    if existing is not None and existing.openid != openid:
        raise OrderConflict(_("页面已失效，请重新发起转账"))
    _refuse_if_payee_checks_exhausted(openid, transfers, security)
    binding = own_binding(openid, data.binding_id)
    payee = payee_number_of(data.payee_number)
    name = _payee_name(data.payee_name)
    bank = data.payee_bank.strip()
    if not is_known_bank(bank):
        raise TransferRefused(_("请选择收款银行"))
    try:
        fen = parse_yuan(data.amount, _("转账金额"))
    except AmountError as exc:
        raise TransferRefused(exc.message) from None
    memo = _memo(data.memo)
    if existing is not None:
        if _same_intent(existing, binding.id, payee, name, bank, fen, memo):
            return existing
        raise OrderConflict(IdempotencyConflict.message)

    core = get_core()
    try:
        account = core.get_account(binding.account_id)
    except CoreUnavailable:
        raise
    except CoreBankingError as exc:
        raise TransferRefused(exc.message) from None
    if account.kind == CARD_CREDIT:  # a credit card repays (features/credit_cards), it never pays a transfer
        raise TransferRefused(_("信用卡不能用于转账，请选择借记卡"))
    if payee in (normalise_card(account.card_number), account.account_id):
        raise TransferRefused(SameAccount.message)
    now = utcnow()
    check_limits(TransferLimits.for_customer(transfers, openid), fen,
                 day_usage(account.account_id, now, transfers.timezone),
                 day_usage(None, now, transfers.timezone, openid=openid))

    order = TransferOrder(
        idempotency_key=key, openid=openid, binding_id=binding.id, from_account_id=binding.account_id,
        from_card_masked=binding.card_mask, payee_number=payee, payee_name=name, payee_bank=bank,
        amount_fen=fen, memo=memo, status=AWAITING_PIN,
    )
    db.session.add(order)
    try:
        db.session.commit()
    except IntegrityError:  # the same key placed at the same moment (a double tap): that order is the one
        db.session.rollback()
        existing = order_by_key(key)
        if existing is None or existing.openid != openid:
            raise OrderConflict(_("页面已失效，请重新发起转账")) from None
        if not _same_intent(existing, binding.id, payee, name, bank, fen, memo):
            raise OrderConflict(IdempotencyConflict.message) from None
        return existing
    return order


def customer_order(openid: str, key: str) -> TransferOrder | None:
    """The order for this key if it is this customer's (another customer's key looks like no order)."""
    order = order_by_key(key) if IDEMPOTENCY_KEY.fullmatch(key or "") else None
    return order if order is not None and order.openid == openid else None


def pin_status_of(order: TransferOrder) -> pin_guard.PinStatus:
    return pin_guard.pin_status(order.from_account_id, utcnow())


def _locked(status: pin_guard.PinStatus, lock_minutes: int) -> PinLocked:
    return PinLocked(_("交易密码错误次数过多，该卡转账功能已锁定 %(minutes)s 分钟，请稍后再试或致电客服热线",
                       minutes=lock_minutes), status)


def confirm_order(openid: str, order: TransferOrder, pin: str, transfers: Transfers,
                  security: Security | None = None) -> TransferOrder:
    """Verify the PIN and post the order once. Returns the order (already handled ones unchanged);
    raises PinRejected (PinLocked), TransferRefused or CoreUnavailable with nothing posted."""
    if order.status != AWAITING_PIN:
        return order
    _refuse_if_payee_checks_exhausted(openid, transfers, security)
    binding = own_binding(openid, order.binding_id)
    if binding.account_id != order.from_account_id:
        raise CardNotOwned(_("付款卡不是您已绑定的银行卡，请重新发起转账"))
    check_transaction_pin(order.from_account_id, pin, transfers)
    return _post(order, transfers)


def check_transaction_pin(account_id: str, pin: str, transfers: Transfers) -> None:
    """The card's transaction PIN, through the PIN guard (pin_guard.py: wrong ones count per card, for transfers
    and credit-card repayments alike). Returns when it is right; raises PinRejected (PinLocked), TransferRefused
    or CoreUnavailable."""
    now, lock_minutes = utcnow(), transfers.lock_minutes
    status = pin_guard.pin_status(account_id, now)
    if status.locked:
        raise _locked(status, lock_minutes)
    if not PIN.fullmatch(pin or ""):
        raise PinRejected(_("请输入 6 位数字交易密码"), status)
    attempt = pin_guard.begin_attempt(account_id, now, lock_minutes)
    if attempt is None:
        status = pin_guard.pin_status(account_id, now)
        raise _locked(status, lock_minutes)
    try:
        right = get_core().verify_pin(account_id, pin)
    except CoreBankingError as exc:  # not the customer's fault: the attempt does not count
        pin_guard.attempt_not_made(account_id)
        if isinstance(exc, CoreUnavailable):
            raise
        raise TransferRefused(exc.message) from None
    if not right:
        status = pin_guard.attempt_was_wrong(account_id, attempt, now, lock_minutes)
        log.info("wrong transaction PIN (%s in a row)", status.failures)
        if status.locked:
            raise _locked(status, lock_minutes)
        message = _("交易密码错误，还可尝试 %(count)s 次", count=status.attempts_before_lock)
        if status.captcha_required:
            message += _("，请同时输入图形验证码")
        raise PinRejected(message, status)
    pin_guard.attempt_was_right(account_id)


def _claim(order: TransferOrder) -> bool:
    """awaiting_pin -> processing, atomically: only one request ever posts an order."""
    claimed = db.session.execute(
        update(TransferOrder)
        .where(TransferOrder.id == order.id, TransferOrder.status == AWAITING_PIN)
        .values(status=PROCESSING, submitted_at=utcnow())
    ).rowcount
    db.session.commit()
    db.session.refresh(order)
    return claimed == 1


def _finish(order: TransferOrder, status: str, *, code: str | None = None, message: str | None = None) -> None:
    """The final status and the outcome notice for the customer, in one commit (both or neither)."""
    order.status = status
    order.failure_code = code
    order.failure_message = str(message)[:200] if message is not None else None  # the request's language
    order.finished_at = utcnow()
    add_notice(db.session, outcome_row(order, order.finished_at))
    db.session.commit()


def _post(order: TransferOrder, transfers: Transfers) -> TransferOrder:
    if not _claim(order):
        return order
    try:  # claimed first, then counted: two orders racing each other can never both slip past a limit
        used = day_usage(order.from_account_id, order.submitted_at, transfers.timezone, exclude_order_id=order.id)
        customer_used = day_usage(None, order.submitted_at, transfers.timezone, exclude_order_id=order.id,
                                  openid=order.openid)
        check_limits(TransferLimits.for_customer(transfers, order.openid), order.amount_fen, used, customer_used)
    except LimitExceeded as exc:
        _finish(order, FAILED, code=exc.code, message=exc.message)
    else:
        _send_to_core(order)
    log.info("transfer order %s: %s", order.id, order.status)
    return order


def _send_to_core(order: TransferOrder) -> None:
    db.session.commit()  # the ledger adapter works on its own connection: nothing of ours may be pending
    request = TransferRequest(
        idempotency_key=order.idempotency_key, from_account_id=order.from_account_id,
        to_account_number=order.payee_number, to_name=order.payee_name, amount_fen=order.amount_fen,
        to_bank=order.payee_bank, memo=order.memo,
    )
    try:
        result = get_core().transfer(request)
    except CoreUnavailable as exc:
        db.session.rollback()
        _finish(order, UNCONFIRMED, code=exc.code, message=exc.message)
    except CoreBankingError as exc:
        db.session.rollback()
        # "no such account" and "name does not match" look the same to the customer (the code stays for staff)
        _finish(order, FAILED, code=exc.code, message=PAYEE_REFUSAL if exc.code in PAYEE_REFUSALS else exc.message)
    except Exception as exc:  # noqa: BLE001 - whatever happened, the customer gets a page, not a 500
        db.session.rollback()
        log.exception("transfer order %s: the core raised %s", order.id, type(exc).__name__)
        _finish(order, UNCONFIRMED, code="unexpected", message=_("交易结果待确认，请稍后查询账户明细，切勿重复转账"))
    else:
        order.transfer_id = result.transfer_id
        order.balance_after_fen = result.from_balance_after_fen
        _finish(order, result.status)
