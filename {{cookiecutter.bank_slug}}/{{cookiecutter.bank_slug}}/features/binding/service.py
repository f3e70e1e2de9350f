"""Card bindings (绑卡): which bank cards a WeChat user (openid) has bound, and how a card gets bound.

Binding: the core finds the account by card number and checks name, ID number and reserved phone
(one generic refusal, never which field was wrong); then a 6-digit one-time code goes by SMS to that
phone. Only a keyed hash of the code is stored; it expires after 5 minutes, allows 5 attempts, and
a new code may be asked for after 60 seconds. The right code binds the card.

Throttles (docs/security.md, the Security settings section; "a day" is the last 24 hours), counted in the
database (web/attempts.py, keys stored only as HMACs) so restarting the binding does not reset them:
refused identity checks per card and per openid; codes sent per phone, and the interval between two codes
to one phone while its last code is unused (whichever binding asked); wrong codes per phone across
bindings. A throttled request is refused before the core or the SMS gateway is asked, with a Chinese
message naming the cool-down.

One openid may bind several cards; an account is bound to one openid at a time. Unbinding keeps the
row (status "unbound") for the record. Unfollowing suspends alerts but keeps the bindings.

The H5 pages (h5.py) only collect input and show outcomes; every rule lives here. Other features use
binding through this module only: the CardBinding model, the bindings of an openid, the branch-scope helpers.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ... import settings
from ...core_banking.current import get_core
from ...core_banking.port import AccountNotActive
from ...db import one_of
from ...extensions import db
from ...settings.sections import Brand, Security
from ...shared.cards import normalise_card
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import mask_card, mask_openid, mask_phone
from ...shared.timeutil import utcnow
from ...sms import OTP_TEMPLATE, SmsError, SmsText, get_sms_sender
from ...web import attempts
from .models import BindingChallenge, CardBinding

log = logging.getLogger(__name__)

STATUS_ACTIVE = "active"
STATUS_UNBOUND = "unbound"
CHALLENGE_PENDING = "pending"
CHALLENGE_VERIFIED = "verified"
CHALLENGE_FAILED = "failed"
CHALLENGE_REPLACED = "replaced"

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_SENDS = 5  # codes per challenge, the first one included
DAY = timedelta(hours=24)
# attempts scopes
IDENTITY_BY_CARD, IDENTITY_BY_OPENID = "bind_identity_card", "bind_identity_openid"
SMS_BY_PHONE, CODE_BY_PHONE = "bind_sms_phone", "bind_code_phone"
UNUSED_SMS_BY_PHONE = "bind_sms_unused"  # codes sent and not yet used to bind: the interval between two

SMS_TEXT = _l("【{bank}】您正在绑定尾号{tail}的银行卡，验证码 {code}，{minutes} 分钟内有效。"
              "请勿将验证码告诉任何人，本行工作人员不会索要。")


class BindingError(DomainError):
    """A refusal; `message` is text for the customer's page (lazy: the page's language). The H5 status comes
    from the code (h5/errors.py)."""

    code = "binding_refused"
    message = _l("绑定失败，请稍后再试")


class IdentityMismatch(BindingError):
    code, message = "identity_mismatch", _l("您输入的卡号、姓名、身份证号或手机号与本行开户信息不符，请核对后重试。")


class CardAlreadyBound(BindingError):
    code, message = "card_already_bound", _l("该卡已绑定在您的微信上，无需重复绑定。")


class CardBoundElsewhere(BindingError):
    code = "card_bound_elsewhere"
    message = _l("该卡已绑定在其他微信号上。如需改绑，请先在原微信号中解绑，或携带身份证到开户网点办理。")


class ChallengeNotFound(BindingError):
    code, message = "challenge_not_found", _l("绑定申请不存在或已结束，请重新填写绑卡信息。")


class CodeExpired(BindingError):
    code, message = "code_expired", _l("验证码已过期，请重新获取。")


class CodeWrong(BindingError):
    code = "code_wrong"

    def __init__(self, attempts_left: int) -> None:
        super().__init__(_("验证码不正确，还可以再试 %(count)s 次。", count=attempts_left))
        self.attempts_left = attempts_left


class TooManyAttempts(BindingError):
    code, message = "too_many_attempts", _l("验证码错误次数过多，本次绑定已取消，请重新填写绑卡信息。")


class ResendTooSoon(BindingError):
    code = "resend_too_soon"

    def __init__(self, seconds_left: int) -> None:
        super().__init__(_("验证码已发送，请 %(seconds)s 秒后再重新获取。", seconds=seconds_left))
        self.seconds_left = seconds_left


class TooManySends(BindingError):
    code, message = "too_many_sends", _l("验证码发送次数过多，本次绑定已取消，请稍后重新填写绑卡信息。")


class BindingThrottled(BindingError):
    """Too many tries for this card, WeChat user or phone today: wait, or bind at a branch."""

    code = "bind_throttled"


def _identity_throttled() -> BindingThrottled:
    return BindingThrottled(_("今日绑卡信息核对失败次数过多，为保护您的账户安全，请 24 小时后再试，"
                              "或携带身份证到开户网点办理。"))


def _phone_throttled() -> BindingThrottled:
    return BindingThrottled(_("今日发往该手机号的验证码次数或验证码错误次数已达上限，为保护您的账户安全，"
                              "请 24 小时后再试，或携带身份证到开户网点办理。"))


class SmsNotSent(BindingError):
    code, message = "sms_not_sent", _l("短信发送失败，请稍后再试。")


class PreconditionUnmet(BindingError):
    """Something must happen before a binding may start (e.g. the separate consent of the privacy feature);
    `resolve_url` is the page where the customer does it."""

    code = "binding_precondition"

    def __init__(self, message: str, resolve_url: str) -> None:
        super().__init__(message)
        self.resolve_url = resolve_url


# -- preconditions: other features (privacy's consent) register checks that run before a binding starts -----
PRECONDITIONS = "binding_preconditions"


def add_precondition(app, check) -> None:
    """`check(openid)` raises PreconditionUnmet when this openid may not start a binding yet."""
    app.extensions.setdefault(PRECONDITIONS, []).append(check)


def check_preconditions(openid: str) -> None:
    for check in current_app.extensions.get(PRECONDITIONS, ()):
        check(openid)


# -- what transfers, balances and alerts build on ------------------------------------------------
def active_bindings(openid: str) -> list[CardBinding]:
    """The cards this openid has bound, oldest first."""
    query = (select(CardBinding).where(CardBinding.openid == openid, CardBinding.status == STATUS_ACTIVE)
             .order_by(CardBinding.bound_at, CardBinding.id))
    return list(db.session.execute(query).scalars())


def every_active_binding() -> list[CardBinding]:
    """Every active binding, oldest first: for daily jobs that go through all bound cards (credit-card reminders)."""
    return list(db.session.execute(select(CardBinding).where(CardBinding.status == STATUS_ACTIVE)
                                   .order_by(CardBinding.id)).scalars())


def active_bindings_of_accounts(connection, account_ids) -> list:
    """Rows (account_id, openid, card_mask, alerts_suspended, sms_phone) of the active bindings of these accounts,
    in one query on `connection` (the outbox dispatcher's batch, outside the ORM session)."""
    return list(connection.execute(
        select(CardBinding.account_id, CardBinding.openid, CardBinding.card_mask, CardBinding.alerts_suspended,
               CardBinding.sms_phone)
        .where(one_of(connection, CardBinding.account_id, set(account_ids)), CardBinding.status == STATUS_ACTIVE)))


MAX_ROW_ID = 2**31 - 1


def binding_for(openid: str, binding_id: int | str | None) -> CardBinding | None:
    """This openid's active binding with this id; None for anyone else's, an unbound one or a bad id."""
    try:
        key = int(str(binding_id))
    except ValueError:
        return None
    if not 0 < key <= MAX_ROW_ID:  # a forged id beyond INTEGER would be a database error on PostgreSQL
        return None
    query = select(CardBinding).where(CardBinding.id == key, CardBinding.openid == openid,
                                      CardBinding.status == STATUS_ACTIVE)
    return db.session.execute(query).scalar_one_or_none()


def _active_binding_of_account(account_id: str) -> CardBinding | None:
    query = select(CardBinding).where(CardBinding.account_id == account_id, CardBinding.status == STATUS_ACTIVE)
    return db.session.execute(query).scalar_one_or_none()


def _refuse_if_bound(openid: str, account_id: str) -> None:
    existing = _active_binding_of_account(account_id)
    if existing is not None:
        raise CardAlreadyBound() if existing.openid == openid else CardBoundElsewhere()


# -- one-time codes ----------------------------------------------------------------------------------
def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(salt: str, code: str) -> str:
    """Keyed hash (HMAC-SHA256 with SECRET_KEY): the stored hash alone does not give the code away."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _set_code(challenge: BindingChallenge, code: str) -> None:
    now = utcnow()
    challenge.code_salt = secrets.token_hex(16)
    challenge.code_hash = code_digest(challenge.code_salt, code)
    challenge.attempts = 0
    challenge.sent_at, challenge.expires_at = now, now + CODE_LIFETIME


def _send_code(challenge: BindingChallenge, code: str, brand: Brand | None) -> None:
    brand = brand or settings.of().brand  # the SMS signature: the bank's short name
    tail, minutes = challenge.card_mask[-4:], int(CODE_LIFETIME.total_seconds() // 60)
    text = SmsText(SMS_TEXT.format(bank=brand.short_name, tail=tail, code=code, minutes=minutes),
                   OTP_TEMPLATE, (tail, code, minutes))
    try:
        get_sms_sender().send(challenge.phone, text)
    except SmsError as exc:
        log.warning("验证码短信发送失败 %s: %s", mask_phone(challenge.phone), exc)
        raise SmsNotSent() from None
    log.info("已发送验证码至 %s", mask_phone(challenge.phone))


def _pending_challenge(openid: str, challenge_id: int | None) -> BindingChallenge:
    valid = isinstance(challenge_id, int) and 0 < challenge_id <= MAX_ROW_ID
    challenge = db.session.get(BindingChallenge, challenge_id) if valid else None
    if challenge is None or challenge.openid != openid or challenge.status != CHALLENGE_PENDING:
        raise ChallengeNotFound()
    return challenge


def _close(challenge: BindingChallenge, status: str) -> None:
    challenge.status, challenge.phone = status, ""


# -- the binding flow --------------------------------------------------------------------------------
def _security(security: Security | None) -> Security:
    return security or settings.of().security


def _check_phone(phone: str, security: Security) -> None:
    """Refuse (before anything is sent) when this phone had its day's codes or wrong codes, or a code
    less than the interval ago."""
    if attempts.count(CODE_BY_PHONE, phone, DAY) >= security.bind_code_failures_per_phone or \
            attempts.count(SMS_BY_PHONE, phone, DAY) >= security.bind_sms_per_phone:
        raise _phone_throttled()
    last = attempts.last_at(UNUSED_SMS_BY_PHONE, phone)
    interval = timedelta(seconds=security.bind_sms_interval_seconds)
    if last is not None and utcnow() - last < interval:
        raise ResendTooSoon(max(1, int((interval - (utcnow() - last)).total_seconds() + 0.999)))


def start_binding(openid: str, card_number: str, name: str, id_number: str, phone: str,
                  brand: Brand | None = None, security: Security | None = None) -> BindingChallenge:
    """Check the card and the holder through the core, then send a code. Raises BindingError, or the
    core's CoreBankingError (e.g. CoreUnavailable); nothing but the counted attempt is stored on a refusal."""
    check_preconditions(openid)
    security = _security(security)
    card = normalise_card(card_number) or card_number
    if attempts.count(IDENTITY_BY_CARD, card, DAY) >= security.bind_identity_failures_per_card or \
            attempts.count(IDENTITY_BY_OPENID, openid, DAY) >= security.bind_identity_failures_per_openid:
        log.warning("binding throttled: too many refused identity checks for card %s or %s", mask_card(card),
                    mask_openid(openid))
        raise _identity_throttled()
    core = get_core()
    account = core.find_account_by_card(card_number)
    if account is None or not core.verify_identity(account.account_id, name, id_number, phone):
        log.info("binding refused: identity not confirmed for card %s", mask_card(card_number))
        attempts.note(IDENTITY_BY_CARD, card)
        attempts.note(IDENTITY_BY_OPENID, openid)
        db.session.commit()
        raise IdentityMismatch()
    if account.status != STATUS_ACTIVE:
        raise BindingError(AccountNotActive.message)
    _refuse_if_bound(openid, account.account_id)
    _check_phone(phone, security)
    db.session.execute(update(BindingChallenge)
                       .where(BindingChallenge.openid == openid, BindingChallenge.status == CHALLENGE_PENDING)
                       .values(status=CHALLENGE_REPLACED, phone=""))
    challenge = BindingChallenge(openid=openid, account_id=account.account_id, card_mask=mask_card(card_number),
                                 branch_code=account.branch_code or None, phone=phone, sends=1,
                                 status=CHALLENGE_PENDING)
    code = new_code()
    _set_code(challenge, code)
    db.session.add(challenge)
    try:
        db.session.flush()
        _send_code(challenge, code, brand)
    except BaseException:
        db.session.rollback()
        raise
    attempts.note(SMS_BY_PHONE, phone)
    attempts.note(UNUSED_SMS_BY_PHONE, phone)
    db.session.commit()
    return challenge


def resend_code(openid: str, challenge_id: int | None, brand: Brand | None = None,
                security: Security | None = None) -> BindingChallenge:
    """A new code for a pending challenge, no sooner than RESEND_AFTER after the last one (and within the
    phone's limits)."""
    challenge = _pending_challenge(openid, challenge_id)
    waited = utcnow() - challenge.sent_at
    if waited < RESEND_AFTER:
        raise ResendTooSoon(max(1, int((RESEND_AFTER - waited).total_seconds() + 0.999)))
    if challenge.sends >= MAX_SENDS:
        _close(challenge, CHALLENGE_FAILED)
        db.session.commit()
        raise TooManySends()
    _check_phone(challenge.phone, _security(security))
    code = new_code()
    _set_code(challenge, code)
    challenge.sends += 1
    try:
        _send_code(challenge, code, brand)
    except BaseException:
        db.session.rollback()  # the previous code stays valid
        raise
    attempts.note(SMS_BY_PHONE, challenge.phone)
    attempts.note(UNUSED_SMS_BY_PHONE, challenge.phone)
    db.session.commit()
    return challenge


def confirm_binding(openid: str, challenge_id: int | None, code: str,
                    security: Security | None = None) -> CardBinding:
    """The right code binds the card. Each try counts before the code is compared (atomically, so
    parallel guesses cannot exceed MAX_ATTEMPTS); wrong ones also count for the phone, across bindings."""
    challenge = _pending_challenge(openid, challenge_id)
    check_preconditions(openid)  # e.g. the consent withdrawn while the code was on its way
    if utcnow() >= challenge.expires_at:
        raise CodeExpired()
    if attempts.count(CODE_BY_PHONE, challenge.phone, DAY) >= _security(security).bind_code_failures_per_phone:
        _close(challenge, CHALLENGE_FAILED)
        db.session.commit()
        raise TooManyAttempts()
    counted = db.session.execute(
        update(BindingChallenge)
        .where(BindingChallenge.id == challenge.id, BindingChallenge.status == CHALLENGE_PENDING,
               BindingChallenge.attempts < MAX_ATTEMPTS)
        .values(attempts=BindingChallenge.attempts + 1)
    ).rowcount
    db.session.commit()
    db.session.refresh(challenge)
    if not counted:
        _close(challenge, CHALLENGE_FAILED)
        db.session.commit()
        raise TooManyAttempts()
    if not hmac.compare_digest(code_digest(challenge.code_salt, code), challenge.code_hash):
        attempts.note(CODE_BY_PHONE, challenge.phone)
        db.session.commit()
        left = MAX_ATTEMPTS - challenge.attempts
        if left <= 0:
            _close(challenge, CHALLENGE_FAILED)
            db.session.commit()
            raise TooManyAttempts()
        raise CodeWrong(left)
    return _bind(challenge)


def _bind(challenge: BindingChallenge) -> CardBinding:
    try:
        _refuse_if_bound(challenge.openid, challenge.account_id)
    except BindingError:
        _close(challenge, CHALLENGE_FAILED)
        db.session.commit()
        raise
    binding = CardBinding(openid=challenge.openid, account_id=challenge.account_id, card_mask=challenge.card_mask,
                          branch_code=challenge.branch_code, status=STATUS_ACTIVE, alerts_suspended=False,
                          sms_phone=challenge.phone)
    db.session.add(binding)
    attempts.forget(UNUSED_SMS_BY_PHONE, challenge.phone)  # a code was used: the next card may get one at once
    _close(challenge, CHALLENGE_VERIFIED)
    try:
        db.session.commit()
    except IntegrityError:  # another openid bound the same account a moment ago
        db.session.rollback()
        raise CardBoundElsewhere() from None
    log.info("card %s bound", binding.card_mask)
    return binding


def unbind(openid: str, binding_id: int | str | None) -> CardBinding | None:
    """Unbind this openid's card; None (nothing changed) when the id is not one of its active bindings."""
    binding = binding_for(openid, binding_id)
    if binding is None:
        return None
    binding.status, binding.unbound_at = STATUS_UNBOUND, utcnow()
    db.session.commit()
    log.info("card %s unbound", binding.card_mask)
    return binding


def unbind_all(openid: str, reason: str) -> list[CardBinding]:
    """Unbind every active card of this openid and end its pending bindings (consent withdrawn, service
    cancelled). Part of the caller's transaction: the caller commits."""
    now = utcnow()
    unbound = active_bindings(openid)
    for binding in unbound:
        binding.status, binding.unbound_at, binding.unbind_reason = STATUS_UNBOUND, now, reason[:200]
    db.session.execute(update(BindingChallenge)
                       .where(BindingChallenge.openid == openid, BindingChallenge.status == CHALLENGE_PENDING)
                       .values(status=CHALLENGE_FAILED, phone=""))
    return unbound


# -- follow state ------------------------------------------------------------------------------------
def set_alerts_suspended(openid: str, suspended: bool) -> None:
    """Unfollowing suspends alerts to every bound card (the bindings stay); following again resumes them.
    Part of the caller's transaction: the caller commits."""
    db.session.execute(update(CardBinding)
                       .where(CardBinding.openid == openid, CardBinding.status == STATUS_ACTIVE)
                       .values(alerts_suspended=suspended))


# -- branch scope: which bindings (and so which accounts) belong to a branch, for the admin panel --------------
# A binding carries the account's `branch_code` (from the core when the card was bound). Each helper returns a SQL
# condition or subquery for `StaffModelView.scope_query` or any select(); other features scope through these.
def bindings_of(branch_code: str):
    return CardBinding.branch_code == branch_code


def branch_binding_ids(branch_code: str):
    return select(CardBinding.id).where(CardBinding.branch_code == branch_code)


def branch_openids(branch_code: str):
    """WeChat users who ever bound a card at this branch (any binding status)."""
    return select(CardBinding.openid).where(CardBinding.branch_code == branch_code)


def branch_account_ids(branch_code: str):
    """Core account ids ever bound at this branch (any binding status)."""
    return select(CardBinding.account_id).where(CardBinding.branch_code == branch_code)


def bound_customers(branch_code: str | None) -> tuple[int, int]:
    """(WeChat users with at least one active binding, active bindings), in a branch or the whole bank."""
    where = [CardBinding.status == STATUS_ACTIVE]
    if branch_code is not None:
        where.append(bindings_of(branch_code))
    users, cards = db.session.execute(
        select(func.count(func.distinct(CardBinding.openid)), func.count(CardBinding.id)).where(*where)).one()
    return int(users), int(cards)
