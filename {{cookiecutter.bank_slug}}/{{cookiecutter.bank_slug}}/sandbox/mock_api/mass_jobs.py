"""What WeChat does after a 群发 besides answering it: the MASSSENDJOBFINISH event.

When a mass send (/cgi-bin/message/mass/sendall or /send) is done, WeChat pushes an event to the account's
server URL: MsgID (the send's msg_id), Status ("send success", "send fail", or "err(num)" when the content
failed review), TotalCount (followers targeted), FilterCount (left after filtering — among others the
followers who already received 4 mass messages this month; about SentCount + ErrorCount), SentCount and
ErrorCount. The mock pushes it, signed like every push, when told to:
POST /_mock/mass_jobs/<msg_id>/finish {"status": ...}, or after every send from a background thread
(a moment later, as WeChat reports after the job) once PUT /_mock/mass_jobs {"auto_finish": "send success"}
(null switches it off). GET /_mock/mass_jobs lists the pushes and how the service answered.
"""

import logging
import re
import threading
import time

from flask import Blueprint, jsonify

from ..simulator.relay import RelayError, relay
from ..wechat_push import message_xml
from .calls import mock_state
from .control_views import _body
from .mass_job_state import MassJob

log = logging.getLogger(__name__)

bp = Blueprint("mock_mass_jobs", __name__, url_prefix="/_mock/mass_jobs")

SEND_SUCCESS, SEND_FAIL = "send success", "send fail"
REVIEW_ERROR = re.compile(r"err\(\d{1,8}\)")  # e.g. err(10001): the content failed WeChat's review
ACCOUNT = "gh_sandbox"
AUTO_DELAY_SECONDS = 0.5  # WeChat reports after the job, never inside the send's answer


def valid_status(status) -> bool:
    return isinstance(status, str) and (status in (SEND_SUCCESS, SEND_FAIL) or bool(REVIEW_ERROR.fullmatch(status)))


def event_fields(job: MassJob, msg_id: int, status: str) -> dict:
    sent = job.delivered if status == SEND_SUCCESS else 0
    errors = job.delivered if status == SEND_FAIL else 0
    return {"Event": "MASSSENDJOBFINISH", "MsgID": msg_id, "Status": status, "TotalCount": job.total,
            "FilterCount": job.delivered, "SentCount": sent, "ErrorCount": errors}


def finish_push(state, msg_id: int, status: str) -> dict:
    """Push MASSSENDJOBFINISH for `msg_id` to the service; how it answered. KeyError when unknown."""
    with state.mass_jobs.lock:
        job = state.mass_jobs.jobs[msg_id]
    fields = event_fields(job, msg_id, status)
    xml = message_xml(ACCOUNT, job.openid, "event", fields, int(state.clock()))
    counts = {"total_count": job.total, "filter_count": job.delivered, "sent_count": fields["SentCount"],
              "error_count": fields["ErrorCount"]}
    try:
        relayed = relay(state.settings.service_url, state.settings.pusher(), xml)
        result = {"msg_id": msg_id, "status": status, **counts, "service_status": relayed.status, "error": None}
    except RelayError as exc:
        result = {"msg_id": msg_id, "status": status, **counts, "service_status": exc.status, "error": exc.reason}
    with state.mass_jobs.lock:
        state.mass_jobs.pushes.append(result)
    return result


def after_send(state, msg_id: int, followers: list[str], delivered: list[str]) -> None:
    """Called by the mass sends: remember the job, and push the event later when auto_finish is on."""
    state.mass_jobs.sent(msg_id, followers, delivered)
    status = state.mass_jobs.auto_finish
    if status:
        threading.Thread(target=_push_quietly, args=(state, msg_id, status), name="mock-massjobfinish",
                         daemon=True).start()


def _push_quietly(state, msg_id: int, status: str) -> None:
    time.sleep(AUTO_DELAY_SECONDS)
    try:
        finish_push(state, msg_id, status)
    except Exception:  # a background push must never take the mock down
        log.exception("MASSSENDJOBFINISH push for %s failed", msg_id)


STATUS_HELP = f"{SEND_SUCCESS} | {SEND_FAIL} | err(<num>)"


@bp.post("/<int:msg_id>/finish")
def finish(msg_id: int):
    data = _body() or {}
    status = data.get("status", SEND_SUCCESS)
    if not valid_status(status):
        return jsonify(error=f"status 须为 {STATUS_HELP} status must be one of those"), 400
    try:
        return finish_push(mock_state(), msg_id, status)
    except KeyError:
        return jsonify(error="未知的 msg_id unknown msg_id (no mass message was sent with it)"), 404


@bp.get("")
def get_settings():
    jobs = mock_state().mass_jobs
    with jobs.lock:
        return {"auto_finish": jobs.auto_finish, "pushes": list(jobs.pushes)}


@bp.put("")
def put_settings():
    data = _body()
    if data is None or set(data) != {"auto_finish"} or (data["auto_finish"] is not None
                                                        and not valid_status(data["auto_finish"])):
        return jsonify(error=f'请求体须为 JSON 对象 auto_finish: null | {STATUS_HELP} '
                             f'the body must be an object with auto_finish: null or one of {STATUS_HELP}'), 400
    jobs = mock_state().mass_jobs
    with jobs.lock:
        jobs.auto_finish = data["auto_finish"]
    return {"auto_finish": jobs.auto_finish}
