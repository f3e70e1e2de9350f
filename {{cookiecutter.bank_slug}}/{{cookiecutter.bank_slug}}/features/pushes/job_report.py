"""WeChat's report on a 群发: the MASSSENDJOBFINISH event pushed to /wechat when the mass send is done.

WeChat pushes `Event=MASSSENDJOBFINISH` with the send's MsgID (the msg_id its sendall answer gave) and
Status "send success", "send fail" or "err(num)" (the reason of a failed review), TotalCount (the followers
targeted), FilterCount (those left after WeChat's filters — region, sex, refusals and the 4-a-month rule;
about SentCount + ErrorCount), SentCount and ErrorCount (wechatpy's MassSendJobFinishEvent). They are
written on the mass_push row with that msg_id and shown in the admin panel. The push is answered with
nothing ("success"), as WeChat expects of events.

WeChat reports minutes after the send, but a report may still come before the send has written the msg_id
(the mock's comes half a second after the answer). A report that finds no job is held (mass_report_held)
and applied when the send writes the msg_id (`apply_held`, called by service.send); after the hold is
committed the report looks once more, so one of the two always sees the other. A held report whose msg_id
never turns up (another system's send) is forgotten after HELD_DAYS.
"""

import logging
from datetime import timedelta

from sqlalchemy import delete, select, update

from ...extensions import db
from ...shared.i18n import _l
from ...shared.timeutil import utcnow
from .models import HeldMassReport, MassPush

log = logging.getLogger(__name__)

EVENT = "masssendjobfinish"  # wechatpy's name of the event (MassSendJobFinishEvent)
SEND_SUCCESS, SEND_FAIL = "send success", "send fail"
STATUS_LABELS = {SEND_SUCCESS: _l("发送成功"), SEND_FAIL: _l("发送失败")}
MAX_STATUS_CHARS = 32
MAX_COUNT = 2**31 - 1
HELD_DAYS = 7


def status_label(status: str | None) -> str:
    """What the admin panel shows for WeChat's Status ("" before the report; err(num) as WeChat wrote it)."""
    if not status:
        return ""
    return str(STATUS_LABELS.get(status, status))


def _count(value) -> int | None:
    return value if type(value) is int and 0 <= value <= MAX_COUNT else None


def record(msg_id, status, total=None, filtered=None, sent=None, errors=None) -> int:
    """Write the report on the job sent as `msg_id`; how many rows it was (0: not, or not yet, a send of ours:
    then it is held for `apply_held`)."""
    if not msg_id or not isinstance(status, str) or not status.strip():
        return 0
    msg_id = str(msg_id)[:32]
    report = {"job_status": status.strip()[:MAX_STATUS_CHARS], "total_count": _count(total),
              "filter_count": _count(filtered), "sent_count": _count(sent), "error_count": _count(errors)}
    now = utcnow()
    found = db.session.execute(update(MassPush).where(MassPush.msg_id == msg_id)
                               .values(**report, reported_at=now)).rowcount
    if not found:
        db.session.execute(delete(HeldMassReport).where(HeldMassReport.msg_id == msg_id))
        db.session.execute(delete(HeldMassReport).where(HeldMassReport.received_at < now - timedelta(days=HELD_DAYS)))
        db.session.add(HeldMassReport(msg_id=msg_id, received_at=now, **report))
    db.session.commit()
    if not found:
        found = apply_held([msg_id])  # the send may have written its msg_id meanwhile
    if found:
        (log.info if report["job_status"] == SEND_SUCCESS else log.warning)(
            "mass send %s: WeChat reports %r (total %s, after filters %s, sent %s, errors %s)",
            msg_id, report["job_status"], total, filtered, sent, errors)
    else:
        log.warning("MASSSENDJOBFINISH for msg_id %s, not (yet) a mass push of this service: held", msg_id)
    return found


def apply_held(msg_ids: list[str]) -> int:
    """Write held reports on the jobs that now carry these msg_ids, and forget them; how many. Commits."""
    held = db.session.execute(select(HeldMassReport).where(HeldMassReport.msg_id.in_(
        [msg_id for msg_id in msg_ids if msg_id]))).scalars().all()
    applied = 0
    for report in held:
        if db.session.execute(update(MassPush).where(MassPush.msg_id == report.msg_id).values(
                job_status=report.job_status, total_count=report.total_count, filter_count=report.filter_count,
                sent_count=report.sent_count, error_count=report.error_count,
                reported_at=report.received_at)).rowcount:
            db.session.delete(report)
            applied += 1
            log.info("mass send %s: WeChat's report %r, held until the msg_id was written", report.msg_id,
                     report.job_status)
    db.session.commit()
    return applied


def register(router) -> None:
    """Route the event to `record`; nothing is said back (WeChat gets "success")."""

    @router.event(EVENT)
    def on_mass_job_finish(message):
        record(getattr(message, "id", None), getattr(message, "status", None),
               getattr(message, "total_count", None), getattr(message, "filter_count", None),
               getattr(message, "sent_count", None), getattr(message, "error_count", None))
        return None
