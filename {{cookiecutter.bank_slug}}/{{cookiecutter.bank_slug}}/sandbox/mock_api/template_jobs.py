"""What WeChat does around a template send besides answering it: client_msg_id de-duplication and the
TEMPLATESENDJOBFINISH event.

- client_msg_id (模板消息 防重入 id): for the same openid and client_msg_id within 10 minutes WeChat sends
  one message; a repeat gets the first one's msgid and nothing new is sent (nothing is recorded).
- TEMPLATESENDJOBFINISH: after sending, WeChat pushes an event to the account's server URL with the
  msgid (MsgID) and Status: "success", "failed:user block" (the user refused the account's messages) or
  "failed: system failed". The mock pushes it, signed like every push, when told to:
  POST /_mock/template_jobs/<msgid>/finish {"status": ...}, or after every send from a background
  thread once PUT /_mock/template_jobs {"auto_finish": "success"} (null switches it off).
"""

import logging
import threading

from flask import Blueprint, jsonify

from ..simulator.relay import RelayError, relay
from ..wechat_push import message_xml
from .calls import mock_state
from .control_views import _body

log = logging.getLogger(__name__)

bp = Blueprint("mock_template_jobs", __name__, url_prefix="/_mock/template_jobs")

STATUSES = ("success", "failed:user block", "failed: system failed")  # as WeChat spells them
ACCOUNT = "gh_sandbox"


def finish_push(state, msgid: int, status: str) -> dict:
    """Push TEMPLATESENDJOBFINISH for `msgid` to the service; how it answered."""
    openid = state.template_jobs.openids.get(msgid)
    if openid is None:
        raise KeyError(msgid)
    xml = message_xml(ACCOUNT, openid, "event", {"Event": "TEMPLATESENDJOBFINISH", "MsgID": msgid,
                                                 "Status": status}, int(state.clock()))
    try:
        relayed = relay(state.settings.service_url, state.settings.pusher(), xml)
        result = {"msgid": msgid, "status": status, "service_status": relayed.status, "error": None}
    except RelayError as exc:
        result = {"msgid": msgid, "status": status, "service_status": exc.status, "error": exc.reason}
    with state.template_jobs.lock:
        state.template_jobs.pushes.append(result)
    return result


def after_send(state, msgid: int) -> None:
    """Called by the template send: push the event from a background thread when auto_finish is on."""
    status = state.template_jobs.auto_finish
    if status:
        threading.Thread(target=_push_quietly, args=(state, msgid, status), name="mock-jobfinish",
                         daemon=True).start()


def _push_quietly(state, msgid: int, status: str) -> None:
    try:
        finish_push(state, msgid, status)
    except Exception:  # a background push must never take the mock down
        log.exception("TEMPLATESENDJOBFINISH push for %s failed", msgid)


def _status_of(data) -> str | None:
    status = data.get("status", "success") if data is not None else None
    return status if status in STATUSES else None


@bp.post("/<int:msgid>/finish")
def finish(msgid: int):
    status = _status_of(_body() or {})
    if status is None:
        return jsonify(error=f"status 须为 {' | '.join(STATUSES)} status must be one of those"), 400
    try:
        return finish_push(mock_state(), msgid, status)
    except KeyError:
        return jsonify(error="未知的 msgid unknown msgid (no template message was sent with it)"), 404


@bp.get("")
def get_settings():
    jobs = mock_state().template_jobs
    with jobs.lock:
        return {"auto_finish": jobs.auto_finish, "pushes": list(jobs.pushes)}


@bp.put("")
def put_settings():
    data = _body()
    if data is None or set(data) != {"auto_finish"} or (data["auto_finish"] is not None
                                                        and data["auto_finish"] not in STATUSES):
        statuses = " | ".join(STATUSES)
        return jsonify(error=f'请求体须为 JSON 对象 auto_finish: null | {statuses} '
                             f'the body must be an object with auto_finish: null or one of {statuses}'), 400
    jobs = mock_state().template_jobs
    with jobs.lock:
        jobs.auto_finish = data["auto_finish"]
    return {"auto_finish": jobs.auto_finish}
