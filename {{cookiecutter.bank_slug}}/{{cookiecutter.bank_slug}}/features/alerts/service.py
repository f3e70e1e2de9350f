"""Operations on alerts for staff (the admin panel): retrying undeliverable ones; and what other features use of
alerts: the balance page labels its transactions as the alerts do (`kind_label`), other features' notices ask who
opted in to SMS when WeChat cannot deliver."""

from sqlalchemy import select, update

from ...extensions import db
from ...shared.timeutil import utcnow
from .message import kind_label
from .models import PENDING, UNDELIVERABLE, Alert, AlertPreference

__all__ = ["kind_label", "retry_undeliverable"]


def retry_undeliverable(alert_ids: list[int]) -> int:
    """Put undeliverable alerts back in the queue (attempts start over); returns how many. Alerts in
    any other state are left as they are."""
    if not alert_ids:
        return 0
    now = utcnow()
    result = db.session.execute(
        update(Alert).where(Alert.id.in_(alert_ids), Alert.state == UNDELIVERABLE)
        .values(state=PENDING, attempts=0, next_attempt_at=now, final_reason=None, finished_at=None,
                lease_owner=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount or 0


def sms_fallback_openids(connection, openids) -> set[str]:
    """The openids among these whose alert rules ask for SMS when WeChat cannot deliver (one query)."""
    openids = set(openids)
    if not openids:
        return set()
    return set(connection.scalars(select(AlertPreference.openid).where(
        AlertPreference.openid.in_(openids), AlertPreference.sms_fallback.is_(True))))
