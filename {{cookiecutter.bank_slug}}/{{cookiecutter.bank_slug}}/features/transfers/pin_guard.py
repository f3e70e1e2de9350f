"""Wrong transaction PINs per card: 3 in a row -> a graphic captcha is required from then on,
5 -> transfers from the card locked for TRANSFER_LOCK_MINUTES; a right PIN resets both.

Each attempt is counted before the PIN is compared (`begin_attempt`, one atomic UPDATE), so parallel
requests cannot try more than 5 PINs. When a lock has expired the count starts again at 3: the
captcha is still asked and two more wrong PINs lock the card again. Only the count is kept, never the PIN.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...shared.timeutil import utcnow
from .models import PinGuard

CAPTCHA_AFTER_FAILURES = 3
LOCK_AFTER_FAILURES = 5


@dataclass(frozen=True)
class PinStatus:
    failures: int
    locked_until: datetime | None  # naive UTC, only while in the future

    @property
    def locked(self) -> bool:
        return self.locked_until is not None

    @property
    def captcha_required(self) -> bool:
        return self.failures >= CAPTCHA_AFTER_FAILURES

    @property
    def attempts_before_lock(self) -> int:
        return max(LOCK_AFTER_FAILURES - self.failures, 1)


def _guard(account_id: str) -> PinGuard | None:
    return db.session.execute(select(PinGuard).where(PinGuard.account_id == account_id)).scalar_one_or_none()


def pin_status(account_id: str, now: datetime) -> PinStatus:
    guard = _guard(account_id)
    if guard is None:
        return PinStatus(0, None)
    locked_until = guard.locked_until if guard.locked_until and guard.locked_until > now else None
    return PinStatus(guard.failures, locked_until)


def _ensure_guard(account_id: str) -> None:
    if _guard(account_id) is not None:
        return
    db.session.add(PinGuard(account_id=account_id, failures=0))
    try:
        db.session.commit()
    except IntegrityError:  # the card's first attempt, made by a parallel request a moment ago
        db.session.rollback()


def _lock(account_id: str, now: datetime, lock_minutes: int) -> None:
    db.session.execute(update(PinGuard).where(PinGuard.account_id == account_id)
                       .values(locked_until=now + timedelta(minutes=lock_minutes), updated_at=now))
    db.session.commit()


def begin_attempt(account_id: str, now: datetime, lock_minutes: int) -> int | None:
    """Count this attempt as wrong until proven right; its number in the row, or None when the card is locked."""
    _ensure_guard(account_id)
    lock_expired = PinGuard.locked_until.is_not(None)  # the WHERE below lets only expired locks through
    counted = db.session.execute(
        update(PinGuard)
        .where(PinGuard.account_id == account_id,
               or_(PinGuard.locked_until.is_(None), PinGuard.locked_until <= now))
        .values(failures=case((lock_expired, CAPTCHA_AFTER_FAILURES + 1), else_=PinGuard.failures + 1),
                locked_until=None, updated_at=now)
    ).rowcount
    db.session.commit()
    if not counted:
        return None
    attempt = db.session.scalar(select(PinGuard.failures).where(PinGuard.account_id == account_id))
    if attempt > LOCK_AFTER_FAILURES:  # parallel attempts beyond the fifth are never compared
        _lock(account_id, now, lock_minutes)
        return None
    return attempt


def attempt_was_wrong(account_id: str, attempt: int, now: datetime, lock_minutes: int) -> PinStatus:
    if attempt >= LOCK_AFTER_FAILURES:
        _lock(account_id, now, lock_minutes)
    db.session.expire_all()
    return pin_status(account_id, now)


def attempt_was_right(account_id: str) -> None:
    db.session.execute(update(PinGuard)
                       .where(PinGuard.account_id == account_id)
                       .values(failures=0, locked_until=None, updated_at=utcnow()))
    db.session.commit()


def attempt_not_made(account_id: str) -> None:
    """The PIN could not be compared (the core did not answer): take the attempt back."""
    db.session.execute(update(PinGuard)
                       .where(PinGuard.account_id == account_id, PinGuard.failures > 0)
                       .values(failures=PinGuard.failures - 1))
    db.session.commit()
