"""The `branch_request` outbox topic: every status change of a request (and the appointment reminder the day
before) told to the customer by the outbox.

The rows are added in the same session commit as the change (service.py). The dispatcher delivers them: as a
template message when REQUESTS_TEMPLATE_ID is set (REQUESTS_TEMPLATE_FIELDS maps the roles reference, kind,
status, time, note to the template's keywords), else as a customer-service text inside WeChat's 48-hour window,
else by SMS where the customer opted in (outbox/channels.py). A reminder row is due (`next_attempt_at`, and its
`occurred_at`, so it does not expire first) at 10:00 bank time the day before the appointment."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ...outbox.models import REASON_NOT_BOUND
from ...outbox.topics import Recipient, Topic, payload_of, register
from ...outbox.writer import notice_row
from ...shared.i18n import _
from ..alerts.service import sms_fallback_openids
from ..binding.service import active_bindings_of_accounts
from .models import APPROVED, KIND_LABELS, STATUS_LABELS

TOPIC_NAME = "branch_request"
SOURCE = "request"  # the outbox source column holds 8 characters
SOURCE_REMINDER = "req_remd"


def _payload(request, status: str, note: str | None, reminder: bool = False) -> str:
    slot = request.slot
    return json.dumps({
        "request_id": request.id, "reference": request.reference, "kind": request.kind, "status": status,
        "note": note or "", "branch": request.branch_code, "reminder": reminder,
        "day": request.day.isoformat() if request.day else "",
        "slot": f"{slot.starts}-{slot.ends}" if slot is not None else "",
    }, ensure_ascii=False)


def status_row(request, event) -> dict:
    """The outbox row of one status change (one per request and event)."""
    return notice_row(TOPIC_NAME, source=SOURCE, source_txn_id=f"{request.id}:{event.id}",
                      account_id=request.account_id or "", kind="other", amount_fen=0, occurred_at=event.at,
                      openid=request.openid, payload=_payload(request, event.status, event.note))


def reminder_row(request, event_id: int, due: datetime) -> dict:
    """The reminder of an appointment, due the day before (one per booking or reschedule)."""
    row = notice_row(TOPIC_NAME, source=SOURCE_REMINDER, source_txn_id=f"{request.id}:{event_id}",
                     account_id=request.account_id or "", kind="other", amount_fen=0, occurred_at=due,
                     openid=request.openid, payload=_payload(request, request.status, None, reminder=True))
    row["created_at"] = request.updated_at
    return row


def notice_text(payload: dict, config) -> str:
    kind = str(KIND_LABELS.get(payload.get("kind"), ""))
    reference = payload.get("reference", "")
    if payload.get("reminder"):
        return _("【预约提醒】您预约的%(kind)s（编号 %(ref)s）在明天 %(day)s %(slot)s，网点 %(branch)s。"
                 "请携带本人有效身份证件按时到店。", kind=kind, ref=reference, day=payload.get("day", ""),
                 slot=payload.get("slot", ""), branch=payload.get("branch", ""))
    status = str(STATUS_LABELS.get(payload.get("status"), payload.get("status", "")))
    text = _("【%(kind)s】您的申请（编号 %(ref)s）状态：%(status)s。", kind=kind, ref=reference, status=status)
    if payload.get("note"):
        text += _("说明：%(note)s。", note=payload["note"])
    return text + _("详情请查看微信银行“贷款与办卡预约”页面，客服热线 %(hotline)s。", hotline=config["SERVICE_HOTLINE"])


def _template_values(payload: dict, occurred_at: datetime, timezone: str) -> dict[str, str]:
    """Role -> value (REQUESTS_TEMPLATE_FIELDS); the status a phrase of at most five Chinese characters."""
    status = _("预约提醒") if payload.get("reminder") else (
        _("审批通过") if payload.get("status") == APPROVED else str(STATUS_LABELS.get(payload.get("status"), "")))
    return {
        "reference": payload.get("reference", "") or "-",
        "kind": str(KIND_LABELS.get(payload.get("kind"), "")) or "-",
        "status": status[:5] or "-",
        "time": f"{occurred_at.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)):%Y年%m月%d日 %H:%M}",
        "note": (payload.get("note") or "-")[:20],
    }


def _template(row, recipient: Recipient, config) -> dict:
    payload = payload_of(row)
    values = _template_values(payload, row.occurred_at, config["TIMEZONE"])
    fields = config["REQUESTS_TEMPLATE_FIELDS"]
    return {
        "touser": recipient.openid,
        "template_id": config["REQUESTS_TEMPLATE_ID"],
        "url": f"{config['PUBLIC_BASE_URL']}/h5/requests/{payload.get('request_id', '')}",
        "data": {keyword: {"value": values.get(role, "-")} for role, keyword in fields.items()},
    }


def _text(row, recipient: Recipient, config) -> str:
    return notice_text(payload_of(row), config)


def resolve(connection, rows, config) -> dict:
    """The request's customer (the row's openid); the binding (when the request has one) gives the card and the
    SMS phone, the customer's alert rules the SMS opt-in."""
    bindings = {(b.account_id, b.openid): b for b in active_bindings_of_accounts(
        connection, [row.account_id for row in rows if row.account_id])}
    opted_in = sms_fallback_openids(connection, {row.openid for row in rows if row.openid})
    resolved = {}
    for row in rows:
        if not row.openid:
            resolved[row.id] = REASON_NOT_BOUND
            continue
        binding = bindings.get((row.account_id, row.openid))
        resolved[row.id] = Recipient(row.openid, binding.card_mask if binding else "",
                                     not binding.alerts_suspended if binding else True,
                                     binding.sms_phone if binding else None, row.openid in opted_in)
    return resolved


TOPIC = Topic(TOPIC_NAME, resolve, lambda config: config["REQUESTS_TEMPLATE_ID"], _template, _text)


def install(app) -> None:
    register(TOPIC)
