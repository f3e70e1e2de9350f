"""The `conversation_reply` outbox topic: what staff say in a conversation, and the rating request at its close.

`add` puts the notice into the session of the step (service.py commits both; the row is keyed by the message id,
so a message is sent once). The topic prefers WeChat's customer-service window (outbox/channels.py): while the
customer's window is open and has room the text itself goes as a customer-service message; outside it, when
CONVERSATION_TEMPLATE_ID is configured, a template message says a reply is waiting and opens the H5 conversation
page (keywords in CONVERSATION_TEMPLATE_FIELDS, default staff=thing1,time=time2,remark=thing3); else nothing is
sent (undeliverable, window_closed) and the reply waits on the H5 page for the customer's next visit.
"""

import json
from datetime import UTC
from zoneinfo import ZoneInfo

from ...extensions import db
from ...outbox.models import REASON_NOT_BOUND
from ...outbox.topics import Recipient, Topic, payload_of, register
from ...outbox.writer import add_notice, notice_row
from ...shared.i18n import _

TOPIC_NAME = "conversation_reply"
SOURCE = "conv"  # outbox source: 8 characters at most
REPLY, CLOSING = "reply", "closing"


def add(conversation, message, kind: str = REPLY) -> None:
    """The notice of one staff (or closing) message."""
    payload = {"conversation": conversation.id, "kind": kind, "body": message.body,
               "staff": message.staff_name or ""}
    add_notice(db.session, notice_row(
        TOPIC_NAME, source=SOURCE, source_txn_id=str(message.id), account_id="", kind="conversation",
        amount_fen=0, occurred_at=message.at, openid=conversation.openid,
        payload=json.dumps(payload, ensure_ascii=False)))


def page_url(config) -> str:
    return f"{config['PUBLIC_BASE_URL']}/h5/conversations"


def _text(row, recipient: Recipient, config) -> str:
    """The customer-service message: the staff member's words (plain text, checked by service.clean_reply)."""
    payload = payload_of(row)
    body = payload.get("body", "")
    if payload.get("kind") == CLOSING:
        return body + "\n" + f'<a href="{page_url(config)}">' + _("点此评价本次服务") + "</a>"
    staff = payload.get("staff", "")
    return f"{staff}：{body}" if staff else body


def _payload(row, recipient: Recipient, config) -> dict:
    payload = payload_of(row)
    moment = row.occurred_at.replace(tzinfo=UTC).astimezone(ZoneInfo(config["TIMEZONE"]))
    remark = (_("本次服务已结束，点击评价") if payload.get("kind") == CLOSING
              else _("您有一条新回复，点击查看"))
    values = {"staff": (payload.get("staff") or _("客服人员"))[:20], "time": f"{moment:%Y年%m月%d日 %H:%M}",
              "remark": remark}
    return {
        "touser": recipient.openid,
        "template_id": config["CONVERSATION_TEMPLATE_ID"],
        "url": page_url(config),
        "data": {keyword: {"value": values[role]} for role, keyword in
                 config["CONVERSATION_TEMPLATE_FIELDS"].items()},
    }


def resolve(connection, rows, config) -> dict:
    """The customer of the conversation (the row's openid); no SMS: the H5 page keeps every reply."""
    return {row.id: Recipient(row.openid) if row.openid else REASON_NOT_BOUND for row in rows}


TOPIC = Topic(TOPIC_NAME, resolve, lambda config: config["CONVERSATION_TEMPLATE_ID"], _payload, _text,
              prefer_window=True)


def install(app) -> None:
    register(TOPIC)
