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

Transfer safety (safety.py, docs/compliance.md): the order carries its arrival (实时/普通/次日到账) and whether the
payee is new (the warning must be acknowledged before the PIN; the new-payee limit); after the PIN the fraud rules run.
A delayed order is sent held (status held, released at release_at by the dispatcher's `transfer_release` row or
`flask transfers release-due`); a rule hit is sent held for review (under_review, released or refused by staff). The
customer revokes a held order (revoke_order). Release and revocation are decided by the core (one per hold); the side
that won records its status with a conditional UPDATE (held -> final) and the notice in one commit.
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
    TransferAlreadyReleased,
    TransferAlreadyRevoked,
    TransferNotHeld,
    TransferRequest,
)
from ...core_banking.port import (
    HELD as CORE_HELD,
)
from ...extensions import db
from ...outbox.models import PENDING, Notice
from ...outbox.topics import payload_of
from ...outbox.writer import add_notice
from ...settings.sections import Security, Transfers
from ...shared.cards import luhn_valid, normalise_card
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ...shared.money import AmountError, parse_yuan
from ...shared.timeutil import utcnow
from ..binding.service import binding_for
from . import pin_guard, safety
from .banks import is_known_bank
from .limits import LimitExceeded, TransferLimits, check_limits, day_usage, local_day_utc
from .models import (
    ARRIVAL_REALTIME,
    AWAITING_PIN,
    FAILED,
    HELD,
    HELD_STATUSES,
    PENDING_SETTLEMENT,
    POSTED,
    PROCESSING,
    REFUSED,
    REVOKED,
    UNCONFIRMED,
    UNDER_REVIEW,
    TransferOrder,
)
from .notify import RELEASE_TOPIC, SOURCE, outcome_row, release_row

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
    arrival: str = ARRIVAL_REALTIME
    recent_payee: str = ""  # the id of an earlier order of theirs: 常用收款人, instead of number, name and bank

    @classmethod
    def from_form(cls, form) -> "TransferInput":
        return cls(*(str(form.get(name, "")) for name in (
            "idempotency_key", "binding_id", "payee_number", "payee_name", "payee_bank", "amount", "memo",
            "arrival", "recent_payee")))


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


def _same_intent(order: TransferOrder, binding_id: int, payee: str, name: str, bank: str, fen: int, memo: str,
                 arrival: str = ARRIVAL_REALTIME) -> bool:
    return (order.binding_id, order.payee_number, order.payee_name, order.payee_bank, order.amount_fen,
            order.memo, order.arrival) == (binding_id, payee, name, bank, fen, memo, arrival)


def _arrival(text: str) -> str:
    arrival = (text or ARRIVAL_REALTIME).strip()
    if arrival not in safety.ARRIVALS:
        raise TransferRefused(_("请选择到账方式（实时到账、普通到账或次日到账）"))
    return arrival


def place_order(openid: str, data: TransferInput, transfers: Transfers,
                security: Security | None = None) -> TransferOrder:
    """Validate the form and record (or find again) the order for its idempotency key."""
    key = _key(data.idempotency_key)
    existing = order_by_key(key)
    if existing is not None and existing.openid != openid:
        raise OrderConflict(_("页面已失效，请重新发起转账"))
    _refuse_if_payee_checks_exhausted(openid, transfers, security)
    binding = own_binding(openid, data.binding_id)
    if data.recent_payee.strip():
        earlier = safety.recent_payee_order(openid, data.recent_payee.strip())
        if earlier is None:
            raise TransferRefused(_("常用收款人无效，请重新选择或手动填写收款人"))
        payee, name, bank = earlier.payee_number, earlier.payee_name, earlier.payee_bank
    else:
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
    arrival = _arrival(data.arrival)
    if existing is not None:
        if _same_intent(existing, binding.id, payee, name, bank, fen, memo, arrival):
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
    new_payee = safety.is_new_payee(openid, payee)
    safety.check_new_payee_limit(openid, payee, fen, now, safety.current())

    order = TransferOrder(
        idempotency_key=key, openid=openid, binding_id=binding.id, from_account_id=binding.account_id,
        from_card_masked=binding.card_mask, payee_number=payee, payee_name=name, payee_bank=bank,
        amount_fen=fen, memo=memo, status=AWAITING_PIN, arrival=arrival, new_payee=new_payee,
    )
    db.session.add(order)
    try:
        db.session.commit()
    except IntegrityError:  # the same key placed at the same moment (a double tap): that order is the one
        db.session.rollback()
        existing = order_by_key(key)
        if existing is None or existing.openid != openid:
            raise OrderConflict(_("页面已失效，请重新发起转账")) from None
        if not _same_intent(existing, binding.id, payee, name, bank, fen, memo, arrival):
            raise OrderConflict(IdempotencyConflict.message) from None
        return existing
    return order


class WarningNotAcknowledged(TransferRefused):
    """A first transfer to a payee: the anti-fraud warning has to be read and acknowledged before the PIN."""

    code = "warning_not_acknowledged"


def acknowledge_warning(order: TransferOrder) -> None:
    """The customer read the new-payee warning (committed)."""
    if order.status == AWAITING_PIN and order.warning_acknowledged_at is None:
        order.warning_acknowledged_at = utcnow()
        db.session.commit()


def needs_warning(order: TransferOrder) -> bool:
    return order.status == AWAITING_PIN and order.new_payee and order.warning_acknowledged_at is None


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
    if needs_warning(order):
        raise WarningNotAcknowledged(_("这是您首次向该收款人转账，请先阅读防诈骗提示并确认"))
    _refuse_if_payee_checks_exhausted(openid, transfers, security)
    binding = own_binding(openid, order.binding_id)
    if binding.account_id != order.from_account_id:
        raise CardNotOwned(_("付款卡不是您已绑定的银行卡，请重新发起转账"))
    check_transaction_pin(order.from_account_id, pin, transfers)
    return _post(order, transfers, binding.bound_at)


def pin_keys() -> list[str]:
    """The PIN keypad's ten digits in a new random order for every page (templates/h5/_pin_keypad.html), for
    every page that asks for the transaction PIN (transfers, credit-card repayments)."""
    digits = list("0123456789")
    secrets.SystemRandom().shuffle(digits)
    return digits


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
    """The final status (or held, under_review: not final) and the outcome notice for the customer, in one commit
    (both or neither)."""
    now = utcnow()
    order.status = status
    order.failure_code = code
    order.failure_message = str(message)[:200] if message is not None else None  # the request's language
    if status not in HELD_STATUSES:
        order.finished_at = now
    add_notice(db.session, outcome_row(order, now))
    db.session.commit()


def _post(order: TransferOrder, transfers: Transfers, bound_at=None) -> TransferOrder:
    if not _claim(order):
        return order
    rules = safety.current()
    try:  # claimed first, then counted: two orders racing each other can never both slip past a limit
        used = day_usage(order.from_account_id, order.submitted_at, transfers.timezone, exclude_order_id=order.id)
        customer_used = day_usage(None, order.submitted_at, transfers.timezone, exclude_order_id=order.id,
                                  openid=order.openid)
        check_limits(TransferLimits.for_customer(transfers, order.openid), order.amount_fen, used, customer_used)
        safety.check_new_payee_limit(order.openid, order.payee_number, order.amount_fen, order.submitted_at, rules,
                                     exclude_order_id=order.id)
    except LimitExceeded as exc:
        _finish(order, FAILED, code=exc.code, message=exc.message)
    else:
        hits = safety.fraud_hits(order, bound_at, order.submitted_at, rules)
        if hits:
            order.review_rules = ",".join(hits)[:200]
            log.warning("transfer order %s held for review: %s", order.id, order.review_rules)
        _send_to_core(order, bool(hits), rules)
    log.info("transfer order %s: %s", order.id, order.status)
    return order


def _send_to_core(order: TransferOrder, review: bool = False, rules: "safety.Safety | None" = None) -> None:
    db.session.commit()  # the ledger adapter works on its own connection: nothing of ours may be pending
    request = TransferRequest(
        idempotency_key=order.idempotency_key, from_account_id=order.from_account_id,
        to_account_number=order.payee_number, to_name=order.payee_name, amount_fen=order.amount_fen,
        to_bank=order.payee_bank, memo=order.memo, arrival=order.arrival, hold_for_review=review,
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
        if result.status != CORE_HELD:
            _finish(order, result.status)
        elif review:
            _finish(order, UNDER_REVIEW)  # released or refused by staff, never by the clock
        else:
            order.release_at = safety.release_time(order.arrival, order.submitted_at, rules or safety.current())
            add_notice(db.session, release_row(order))  # the dispatcher releases it when it comes due
            _finish(order, HELD)


# --- held transfers: released by the scheduler or staff, revoked by the customer, refused by staff -------------

RELEASED_MESSAGE = _l("该笔转账已到账，无法撤销。如遭遇诈骗，请立即拨打 110 报警并致电本行客服热线")


class RevokeRefused(TransferRefused):
    """The transfer cannot be revoked (any more); the message says why."""

    code = "revoke_refused"


class AlreadyReleased(RevokeRefused):
    code = "already_released"


class AlreadyRevoked(RevokeRefused):
    code = "already_revoked"


class ReviewRefused(TransferRefused):
    """A staff decision on an order that is not (any more) under review."""

    code = "transfer_review_refused"


def _settled_status(order: TransferOrder, to: str, *, now=None, **values) -> bool:
    """Held -> `to`, atomically (only while still held): the side that won at the core records its outcome."""
    moved = db.session.execute(
        update(TransferOrder).where(TransferOrder.id == order.id, TransferOrder.status.in_(HELD_STATUSES))
        .values(status=to, finished_at=now or utcnow(), **values)).rowcount
    db.session.flush()
    db.session.refresh(order)
    return moved == 1


def _notify(order: TransferOrder) -> None:
    add_notice(db.session, outcome_row(order, order.finished_at or utcnow()))


def _cancel_release(order: TransferOrder) -> None:
    """The revoked order's scheduled release is deleted while still pending (one that runs anyway finds the order
    no longer held and does nothing)."""
    db.session.execute(Notice.__table__.delete().where(
        Notice.topic == RELEASE_TOPIC, Notice.source == SOURCE, Notice.source_txn_id == f"{order.id}:release",
        Notice.state == PENDING))


def _explain_settled(order: TransferOrder) -> RevokeRefused:
    if order.status == REVOKED:
        return AlreadyRevoked(_("该笔转账已撤销，资金已退回您的付款卡，无需重复操作"))
    if order.status == REFUSED:
        return AlreadyRevoked(_("该笔转账未通过核实，已取消，资金已退回您的付款卡"))
    if order.status in (POSTED, PENDING_SETTLEMENT):
        return AlreadyReleased(str(RELEASED_MESSAGE))
    return RevokeRefused(_("该笔转账不是待到账状态，不能撤销"))


def release_order(order_id: int, *, staff: str | None = None, note: str = "",
                  before_commit=None) -> TransferOrder | None:
    """Move a held order on to its payee: the scheduler's when it comes due (not for reviews), staff's after a
    review (`staff` given). Returns the order; a revoked one is left as it is. A payee account that can no longer
    take it: the money goes back (failed, with the reason). CoreUnavailable: try again later."""
    order = db.session.get(TransferOrder, order_id)
    if order is None or order.status not in HELD_STATUSES:
        return order
    if order.status == UNDER_REVIEW and staff is None:
        return order
    db.session.commit()
    core = get_core()
    try:
        result = core.release_transfer(order.idempotency_key)
    except (TransferAlreadyRevoked, TransferNotHeld):
        db.session.rollback()
        db.session.refresh(order)
        return order  # the customer revoked it first (its own request records that)
    except CoreUnavailable:
        db.session.rollback()
        raise
    except CoreBankingError as exc:  # the payee's account cannot take it any more: give the money back
        db.session.rollback()
        log.warning("transfer order %s: release refused (%s); revoking", order.id, exc.code)
        core.revoke_transfer(order.idempotency_key)
        reason = str(_("收款账户无法入账，资金已退回：%(reason)s", reason=exc.message))[:200]
        if _settled_status(order, FAILED, failure_code=exc.code, failure_message=reason):
            _notify(order)
        db.session.commit()
        return order
    review = {"reviewed_by": staff, "reviewed_at": utcnow(), "review_note": note[:200]} if staff else {}
    if _settled_status(order, result.status, **review):
        _notify(order)
        if before_commit is not None:  # the staff decision's audit row, in the same commit
            before_commit(order)
    db.session.commit()
    log.info("transfer order %s released: %s", order.id, order.status)
    return order


def revoke_order(openid: str, order: TransferOrder) -> TransferOrder:
    """撤销 by the customer before the release: the money back to the card, told by a notice. A second
    revocation, or one after the release, is refused with the reason (RevokeRefused); nothing moves."""
    if order.openid != openid:
        raise RevokeRefused(_("未找到该笔转账"))
    if order.status not in HELD_STATUSES:
        raise _explain_settled(order)
    return _give_back(order, REVOKED)


def _give_back(order: TransferOrder, to: str, before_commit=None, **review) -> TransferOrder:
    db.session.commit()
    try:
        get_core().revoke_transfer(order.idempotency_key)
    except TransferAlreadyReleased:
        db.session.rollback()
        db.session.refresh(order)
        if order.status in HELD_STATUSES:  # the release won at the core a moment ago and is recording it
            raise AlreadyReleased(str(RELEASED_MESSAGE)) from None
        raise _explain_settled(order) from None
    except TransferNotHeld:
        db.session.rollback()
        raise RevokeRefused(_("该笔转账不是待到账状态，不能撤销")) from None
    except CoreUnavailable:
        db.session.rollback()
        raise
    if _settled_status(order, to, **review):
        _cancel_release(order)
        _notify(order)
        if before_commit is not None:
            before_commit(order)
    db.session.commit()
    log.info("transfer order %s: %s", order.id, order.status)
    return order


REVIEW_DECISIONS = ("release", "refuse")
MIN_NOTE_CHARS = 4


def review_order(order: TransferOrder, staff: str, decision: str, note: str, before_commit=None) -> TransferOrder:
    """Staff's decision on an order under review, after calling the customer: release or refuse (the money back).
    `before_commit(order)` (the audit row) joins the commit that records the decision."""
    note = _clean_text(note)
    if decision not in REVIEW_DECISIONS:
        raise ReviewRefused(_("请选择放行或拒绝"))
    if len(note) < MIN_NOTE_CHARS:
        raise ReviewRefused(_("请填写核实情况（至少 %(count)s 个字），例如致电客户的时间与结论", count=MIN_NOTE_CHARS))
    if order.status != UNDER_REVIEW:
        raise ReviewRefused(_("该笔转账不在待核实状态（可能已由客户撤销或已处理）"))
    if decision == "release":
        order = release_order(order.id, staff=staff, note=note, before_commit=before_commit)
    else:
        order = _give_back(order, REFUSED, before_commit, reviewed_by=staff, reviewed_at=utcnow(),
                           review_note=note[:200])
    if order.status == UNDER_REVIEW:  # the core refused to settle it (e.g. revoked meanwhile)
        raise ReviewRefused(_("该笔转账不在待核实状态（可能已由客户撤销或已处理）"))
    return order


def run_release(row) -> None:
    """The outbox task of a `transfer_release` row (notify.release_row): release the order when it comes due."""
    order_id = payload_of(row).get("order_id")
    if isinstance(order_id, int):
        release_order(order_id)


def release_due(now=None) -> int:
    """Release every held order due by now (`flask transfers release-due`, a sweep beside the dispatcher)."""
    due = db.session.scalars(select(TransferOrder.id).where(
        TransferOrder.status == HELD, TransferOrder.release_at <= (now or utcnow()))).all()
    for order_id in due:
        release_order(order_id)
    return len(due)
