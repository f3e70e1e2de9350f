"""The `complaint_notice` outbox topic: what the customer is told of their complaint, by the outbox.

`add` puts the notice row into the session of the step it reports (service.py commits both): the acknowledgement
with the ticket number and the deadline when the complaint is filed, the branch it went to, each staff reply,
an extension (the new deadline and why), the decision, and the reopening. The dispatcher delivers it later
(`flask alerts run|drain`): as a template message when COMPLAINT_TEMPLATE_ID is configured (keywords in
COMPLAINT_TEMPLATE_FIELDS, default ticket=character_string1,status=phrase2,time=time3,remark=thing4), else as a
customer-service text inside WeChat's 48-hour window (the customer who typed 投诉 has opened it), else nothing
(undeliverable, recorded): the H5 ticket page always shows the whole thread.
"""

import json
from datetime import UTC, date
from zoneinfo import ZoneInfo

from ...extensions import db
from ...outbox.models import REASON_NOT_BOUND
from ...outbox.topics import Recipient, Topic, payload_of, register
from ...outbox.writer import add_notice, notice_row
from ...shared.i18n import _

TOPIC_NAME = "complaint_notice"
SOURCE = "cmpl"  # outbox source: 8 characters at most
NOTIFIED = ("filed", "assign", "reply", "extend", "decision", "reopen")  # thread entries the customer is told of
EXCERPT = 80  # characters of a reply or decision in the text (the H5 page has all of it)


def add(complaint, event, due: date) -> None:
    """The notice of one thread entry (one per entry: source_txn_id is ticket:event id)."""
    payload = {"ticket": complaint.ticket_no, "kind": event.kind, "status": complaint.status,
               "deadline": due.isoformat(), "body": event.body[:EXCERPT]}
    add_notice(db.session, notice_row(
        TOPIC_NAME, source=SOURCE, source_txn_id=f"{complaint.ticket_no}:{event.id}",
        account_id=complaint.account_id or "", kind="complaint", amount_fen=0, occurred_at=event.at,
        openid=complaint.openid, payload=json.dumps(payload, ensure_ascii=False)))


def _date(iso: str) -> str:
    try:
        day = date.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    return f"{day:%Y年%m月%d日}"


def headline(kind: str) -> str:
    """At most five Chinese characters (the template's phrase keyword)."""
    return {"filed": _("投诉已受理"), "assign": _("处理中"), "reply": _("有新回复"), "extend": _("期限延长"),
            "decision": _("已答复"), "reopen": _("重新受理")}.get(kind, _("处理中"))


def notice_text(payload: dict, config) -> str:
    ticket, due, body = payload.get("ticket", ""), _date(payload.get("deadline", "")), payload.get("body", "")
    kind = payload.get("kind")
    if kind == "filed":
        text = _("【投诉受理】您的投诉已受理，编号 %(ticket)s。我们将于 %(date)s 前处理并答复您。",
                 ticket=ticket, date=due)
    elif kind == "assign":
        text = _("【投诉处理】您的投诉 %(ticket)s %(body)s", ticket=ticket, body=body)
    elif kind == "reply":
        text = _("【投诉回复】您的投诉 %(ticket)s 有新回复：%(body)s", ticket=ticket, body=body)
    elif kind == "extend":
        text = _("【投诉延期】您的投诉 %(ticket)s %(body)s", ticket=ticket, body=body)
    elif kind == "decision":
        text = _("【投诉答复】您的投诉 %(ticket)s 已有处理结果：%(body)s 如不满意可在投诉页面重新提起一次。",
                 ticket=ticket, body=body)
    else:
        text = _("【投诉重新受理】您的投诉 %(ticket)s 已重新受理，我们将于 %(date)s 前答复您。",
                 ticket=ticket, date=due)
    url = f"{config['PUBLIC_BASE_URL']}/h5/complaints/{ticket}"
    return text + f'<a href="{url}">' + _("查看投诉详情") + "</a>"


def _payload(row, recipient: Recipient, config) -> dict:
    payload = payload_of(row)
    moment = row.occurred_at.replace(tzinfo=UTC).astimezone(ZoneInfo(config["TIMEZONE"]))
    remark = (_("请于 %(date)s 前等待答复", date=_date(payload.get("deadline", "")))
              if payload.get("kind") in ("filed", "reopen", "extend") else payload.get("body", "") or "-")
    values = {"ticket": payload.get("ticket", ""), "status": headline(payload.get("kind", "")),
              "time": f"{moment:%Y年%m月%d日 %H:%M}", "remark": remark}
    return {
        "touser": recipient.openid,
        "template_id": config["COMPLAINT_TEMPLATE_ID"],
        "url": f"{config['PUBLIC_BASE_URL']}/h5/complaints/{payload.get('ticket', '')}",
        "data": {keyword: {"value": values[role]} for role, keyword in config["COMPLAINT_TEMPLATE_FIELDS"].items()},
    }


def _text(row, recipient: Recipient, config) -> str:
    return notice_text(payload_of(row), config)


def resolve(connection, rows, config) -> dict:
    """The complainant (the row's openid); no SMS: the H5 page and the phone call staff make are the fallback."""
    return {row.id: Recipient(row.openid) if row.openid else REASON_NOT_BOUND for row in rows}


TOPIC = Topic(TOPIC_NAME, resolve, lambda config: config["COMPLAINT_TEMPLATE_ID"], _payload, _text)


def install(app) -> None:
    register(TOPIC)
