"""WeChat's report on a template message: the TEMPLATESENDJOBFINISH event pushed to /wechat after a send.

WeChat pushes `Event=TEMPLATESENDJOBFINISH` with the message's id (MsgID, the msgid its send answer gave)
and `Status`: "success", "failed:user block" (the user refused the account's messages) or
"failed: system failed". The notice row kept that msgid when it was sent (dispatcher.py); the status and
when it came are written to it here, for the admin panel's 送达结果 column. The push is answered with
nothing ("success"), as WeChat expects of events.

WeChat may push the report before the dispatcher has written the msgid: the dispatcher records a batch of
sends after their answers came, and a quick push can land in between. A report that finds no notice is held
(alert_report_held) and applied by the dispatcher when it records the msgid (claims.record), so none is lost.
"""

import logging

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..shared.i18n import _l
from ..shared.timeutil import utcnow
from .models import HeldDeliveryReport, Notice

log = logging.getLogger(__name__)

EVENT = "templatesendjobfinish"  # wechatpy's name of the event (TemplateSendJobFinishEvent)
SUCCESS = "success"
USER_BLOCK = "failed:user block"
SYSTEM_FAILED = "failed: system failed"
STATUS_LABELS = {  # lazy: staff read them in their language
    SUCCESS: _l("已送达"),
    USER_BLOCK: _l("用户拒收"),
    SYSTEM_FAILED: _l("微信系统失败"),
}
MAX_STATUS_CHARS = 32


def status_label(status: str | None) -> str:
    """What the admin panel shows for a notice's delivery_status ("" when WeChat has not reported)."""
    if not status:
        return ""
    return str(STATUS_LABELS.get(status, status))


def record(msgid, status) -> int:
    """Write WeChat's status on the notice sent as `msgid`; how many rows it was (0: not ours, or unknown)."""
    if msgid is None or not isinstance(status, str) or not status.strip():
        return 0
    status = status.strip()[:MAX_STATUS_CHARS]
    msgid, now = str(msgid)[:32], utcnow()
    table = Notice.__table__
    with db.engine.begin() as connection:
        found = connection.execute(update(table).where(table.c.msgid == msgid).values(
            delivery_status=status, delivery_reported_at=now)).rowcount
        if not found:
            _hold(connection, msgid, status, now)
    if not found:
        # The dispatcher may have recorded the msgid while the report was being held, and looked for held
        # reports before this one was committed: look again now that it is. Of the two, at least one sees
        # the other's committed write (on PostgreSQL this update waits for the dispatcher's open record).
        with db.engine.begin() as connection:
            found = apply_held(connection, [msgid])
    if found:
        (log.info if status == SUCCESS else log.warning)("template message %s: WeChat reports %r", msgid, status)
    else:
        log.info("TEMPLATESENDJOBFINISH for msgid %s, not (yet) the msgid of a notice: held", msgid)
    return found


def _hold(connection: Connection, msgid: str, status: str, now) -> None:
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(_HELD).values(msgid=msgid, status=status, received_at=now)
    connection.execute(statement.on_conflict_do_update(index_elements=[_HELD.c.msgid],
                                                       set_={"status": status, "received_at": now}))


def apply_held(connection: Connection, msgids: list[str]) -> int:
    """Write held reports on the notices just recorded with these msgids (in the caller's transaction); how many."""
    if not msgids:
        return 0
    held = connection.execute(select(_HELD.c.msgid, _HELD.c.status, _HELD.c.received_at)
                              .where(_HELD.c.msgid.in_(msgids))).all()
    table = Notice.__table__
    applied = []
    for msgid, status, received_at in held:
        if connection.execute(update(table).where(table.c.msgid == msgid).values(
                delivery_status=status, delivery_reported_at=received_at)).rowcount:
            applied.append(msgid)
            log.info("template message %s: WeChat's report %r, held until the send was recorded", msgid, status)
    if applied:  # a report whose notice is not there yet stays held
        connection.execute(delete(_HELD).where(_HELD.c.msgid.in_(applied)))
    return len(applied)


def prune_held(connection: Connection, before) -> int:
    """Forget held reports received before `before` whose notice never turned up."""
    return connection.execute(delete(_HELD).where(_HELD.c.received_at < before)).rowcount


_HELD = HeldDeliveryReport.__table__


def register(router) -> None:
    """Route the event to `record`; nothing is said back (WeChat gets "success")."""

    @router.event(EVENT)
    def on_job_finish(message):
        record(getattr(message, "id", None), getattr(message, "status", None))
        return None
