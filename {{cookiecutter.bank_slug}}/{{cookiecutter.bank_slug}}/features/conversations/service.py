"""The rules of conversations with staff (人工服务).

Routing: a new conversation goes to the customer's own account manager (CustomerManager, an active
AccountManager), in the manager's branch; else to the queue of the branch of the customer's first active card
binding; else to the head-office queue (branch_code None). While a conversation is open every message of the
customer goes to it (chat.py claims it before keyword routing); 结束 ends it from the customer's side.

Service hours are per branch (ServiceHours, shared/hours.py text), CONVERSATION_SERVICE_HOURS for the others;
outside them the customer's message is kept and an automatic answer names the hours and the hotline (once per
OUT_OF_HOURS_REPEAT). A customer sending more than CONVERSATION_FLOOD_MESSAGES messages a minute is told once to
slow down; everything is still stored (flagged `throttled`), nothing said is lost.

Staff replies are plain text that fits WeChat: at most REPLY_MAX characters and REPLY_MAX_BYTES bytes, no HTML
tags, no "]]>", links only to the bank's own hosts (PUBLIC_BASE_URL's and CONVERSATION_LINK_HOSTS). They go to the
customer through the outbox (notify.py), which sends them as customer-service messages while WeChat's window has
room and otherwise a "reply waiting" template notice; the H5 page always has the whole thread. Every message is
masked (shared/masking.scrub) before it is stored, kept CONVERSATION_RETENTION_DAYS after the close (`flask
conversations prune`), and exportable as CSV (audited). Every staff step is in the audit log, in the same commit.

The clock is `utcnow` of this module (tests replace it).
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from ...admin import audit
from ...admin.models import ROLE_HEAD_OFFICE, StaffUser
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.errors import DomainError
from ...shared.hours import HoursError, parse_hours
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid, scrub
from ...shared.timeutil import utcnow
from ...wechat.window import window_state
from ..binding.service import active_bindings
from ..complaints.service import Complaint
from . import notify
from .models import (
    CLOSED,
    CUSTOMER,
    OPEN,
    STAFF,
    SYSTEM,
    AccountManager,
    CannedReply,
    Conversation,
    ConversationMessage,
    CustomerManager,
    ServiceHours,
)

__all__ = ["Conversation", "dashboard_figures"]

CUSTOMER_MAX = 2000  # characters of a customer's message that are kept
REPLY_MAX = 600  # characters of a staff reply
REPLY_MAX_BYTES = 1800  # UTF-8 bytes: WeChat's customer-service text takes 2048 with the name in front
FLOOD_WINDOW = timedelta(minutes=1)
OUT_OF_HOURS_REPEAT = timedelta(hours=4)
RATING_WINDOW = timedelta(hours=2)  # a digit 1..5 this soon after the close is its rating (later: routed as usual)
INBOX_LIMIT = 200
RECENT = 10
END_KEYWORDS = ("结束", "结束会话", "结束人工", "退出人工", "退出")
RATINGS = {5: _l("非常满意"), 4: _l("满意"), 3: _l("一般"), 2: _l("不满意"), 1: _l("非常不满意")}
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!]")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。；！？）)]+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ConversationRefused(DomainError):
    """A value staff or the customer gave is wrong: `field` names it."""

    code = "conversation_refused"
    message = _l("内容有误，请检查后重试")

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ConversationNotFound(DomainError):
    code = "conversation_not_found"
    message = _l("未找到该会话")


class ConversationStateRefused(DomainError):
    code = "conversation_state"
    message = _l("该会话当前状态不允许此操作")


def now() -> datetime:
    return utcnow()


def _local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def utc_of_local(moment: datetime) -> datetime:
    """A naive local time of the bank (TIMEZONE) as naive UTC."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return moment.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


# -- hours -----------------------------------------------------------------------------------------------------
def hours_text(branch_code: str | None) -> str:
    row = db.session.get(ServiceHours, branch_code) if branch_code else None
    return row.hours if row is not None else current_app.config["CONVERSATION_SERVICE_HOURS"]


def in_service_hours(branch_code: str | None, at: datetime | None = None) -> bool:
    """Whether staff answer now; hours that cannot be read (or none) count as always open."""
    try:
        hours = parse_hours(hours_text(branch_code))
    except HoursError:
        return True
    return True if hours is None else hours.is_open(_local(at or now()).replace(tzinfo=None))


def check_hours(text: str) -> str:
    """The hours as stored, or ConversationRefused naming `hours`."""
    text = " ".join((text or "").split())
    if not text or len(text) > 200:
        raise ConversationRefused("hours", _("请填写服务时间（最多 200 字）"))
    try:
        parse_hours(text)
    except HoursError as exc:
        raise ConversationRefused("hours", str(exc)) from None
    return text


# -- routing -----------------------------------------------------------------------------------------------------
def manager_of(openid: str) -> CustomerManager | None:
    assignment = db.session.get(CustomerManager, openid)
    if assignment is None or not assignment.manager.active or not assignment.manager.staff.active:
        return None
    return assignment


def route(openid: str) -> tuple[str | None, int | None]:
    """(branch_code, assignee staff id) of a new conversation of this customer."""
    assignment = manager_of(openid)
    if assignment is not None:
        staff = assignment.manager.staff
        return (staff.branch.code if staff.branch is not None else None), staff.id
    for binding in active_bindings(openid):
        if binding.branch_code:
            return binding.branch_code, None
    return None, None


_HAS_OPEN = (select(Conversation.__table__.c.id)
             .where(Conversation.__table__.c.openid == bindparam("openid"), Conversation.__table__.c.status == OPEN)
             .limit(1))


def has_open_conversation(openid: str) -> bool:
    """Whether the customer has an open conversation: the router asks it for every message, so a Core query on
    the partial unique index (no ORM object, a cached statement)."""
    return db.session.connection().execute(_HAS_OPEN, {"openid": openid}).first() is not None


def open_conversation_of(openid: str | None) -> Conversation | None:
    if not openid:
        return None
    return db.session.scalar(select(Conversation).where(Conversation.openid == openid, Conversation.status == OPEN)
                             .order_by(Conversation.id.desc()).limit(1))


def latest_conversation(openid: str) -> Conversation | None:
    return db.session.scalar(select(Conversation).where(Conversation.openid == openid)
                             .order_by(Conversation.id.desc()).limit(1))


def rating_pending(openid: str) -> Conversation | None:
    """The customer's last conversation when it was closed within RATING_WINDOW and is not rated yet."""
    conversation = latest_conversation(openid)
    if conversation is None or conversation.status != CLOSED or conversation.rating is not None:
        return None
    if conversation.closed_at is None or conversation.closed_at < now() - RATING_WINDOW:
        return None
    return conversation


def _who(conversation: Conversation) -> str:
    if conversation.assignee is not None:
        return _("客户经理 %(name)s", name=conversation.assignee.display_name)
    return _("客服人员")


def _add_message(conversation: Conversation, author: str, body: str, at: datetime, *, staff: StaffUser | None = None,
                 throttled: bool = False) -> ConversationMessage:
    message = ConversationMessage(conversation=conversation, author=author, body=body, at=at,
                                  staff_id=staff.id if staff else None,
                                  staff_name=staff.display_name[:64] if staff else None, throttled=throttled)
    db.session.add(message)
    conversation.last_message_at = at
    conversation.last_excerpt = body[:60]
    return message


def clean_customer_text(text: str | None) -> str:
    text = _CONTROL.sub(" ", text or "").strip()
    return scrub(text)[:CUSTOMER_MAX]


@dataclass(frozen=True)
class Outcome:
    conversation: Conversation
    reply: str | None  # the passive reply to the customer, or None (WeChat gets "success")


def start(openid: str, first_words: str = "") -> Outcome:
    """人工: open a conversation (or say the open one goes on), routed by `route`."""
    at = now()
    conversation = open_conversation_of(openid)
    if conversation is not None:
        if first_words:
            return customer_message(openid, first_words)
        return Outcome(conversation, _("您已在人工服务中，请直接发送您的问题；回复「结束」可结束本次服务。"))
    branch_code, assignee_id = route(openid)
    conversation = Conversation(openid=openid, status=OPEN, branch_code=branch_code, assignee_id=assignee_id,
                                opened_at=at, last_message_at=at, waiting_since=at, unanswered=0)
    db.session.add(conversation)
    try:
        db.session.flush()
    except IntegrityError:  # another message of the customer opened one a moment ago: that one goes on
        db.session.rollback()
        return customer_message(openid, first_words) if first_words else start(openid)
    _add_message(conversation, SYSTEM, _("客户发起人工服务"), at)
    if first_words:
        _add_message(conversation, CUSTOMER, clean_customer_text(first_words), at)
        conversation.unanswered = 1
    db.session.commit()
    if not in_service_hours(branch_code, at):
        conversation.hours_notice_at = at
        db.session.commit()
        return Outcome(conversation, out_of_hours_text(branch_code))
    return Outcome(conversation, _("已为您转接人工服务，%(who)s将尽快回复您。请直接发送文字描述您的问题；"
                                   "回复「结束」可结束本次服务。", who=_who(conversation)))


def out_of_hours_text(branch_code: str | None) -> str:
    config = current_app.config
    return _("现在是非人工服务时间（服务时间：%(hours)s）。您的留言已记录，工作人员上班后会尽快回复您；"
             "如有紧急情况请致电客服热线 %(hotline)s。",
             hours=hours_text(branch_code), hotline=config["SERVICE_HOTLINE"])


def customer_message(openid: str, text: str) -> Outcome:
    """A message of the customer while a conversation is open: stored (masked); the answer, if any."""
    conversation = open_conversation_of(openid)
    if conversation is None:
        return start(openid, text)
    at = now()
    body = clean_customer_text(text)
    recent = db.session.scalar(select(func.count()).select_from(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation.id, ConversationMessage.author == CUSTOMER,
        ConversationMessage.at > at - FLOOD_WINDOW)) or 0
    flooding = recent >= current_app.config["CONVERSATION_FLOOD_MESSAGES"]
    _add_message(conversation, CUSTOMER, body, at, throttled=flooding)
    conversation.unanswered = (conversation.unanswered or 0) + 1
    if conversation.waiting_since is None:
        conversation.waiting_since = at
    reply = None
    if flooding:
        if conversation.flood_notice_at is None or conversation.flood_notice_at < at - FLOOD_WINDOW:
            conversation.flood_notice_at = at
            reply = _("您发送得太快了。您的消息都已收到，请稍候工作人员回复。")
    elif not in_service_hours(conversation.branch_code, at):
        if conversation.hours_notice_at is None or conversation.hours_notice_at < at - OUT_OF_HOURS_REPEAT:
            conversation.hours_notice_at = at
            reply = out_of_hours_text(conversation.branch_code)
    db.session.commit()
    return Outcome(conversation, reply)


def customer_end(openid: str) -> str:
    conversation = open_conversation_of(openid)
    if conversation is None:
        return _("您当前没有进行中的人工服务。")
    _close(conversation, "customer", None)
    db.session.commit()
    return _("本次人工服务已结束，感谢您的耐心。") + "\n" + rating_prompt()


def rating_prompt() -> str:
    options = "  ".join(f"{score} {label}" for score, label in sorted(RATINGS.items(), reverse=True))
    return _("请回复数字为本次服务评分：%(options)s", options=options)


def rate(openid: str, conversation_id, score) -> Conversation:
    """The customer's one rating (1..5) of a closed conversation of theirs."""
    conversation = customer_conversation(openid, conversation_id)
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        value = 0
    if value not in RATINGS:
        raise ConversationRefused("rating", _("请选择 1 到 5 分"))
    if conversation.status != CLOSED:
        raise ConversationStateRefused(_("服务结束后才能评价"))
    if conversation.rating is not None:
        raise ConversationStateRefused(_("您已评价过本次服务，感谢您的反馈"))
    conversation.rating, conversation.rated_at = value, now()
    _add_message(conversation, SYSTEM, _("客户评价：%(score)d 分（%(label)s）", score=value, label=RATINGS[value]),
                 conversation.rated_at)
    conversation.last_message_at = conversation.closed_at or conversation.last_message_at
    db.session.commit()
    return conversation


def customer_conversation(openid: str, conversation_id) -> Conversation:
    try:
        key = int(str(conversation_id))
    except (TypeError, ValueError):
        raise ConversationNotFound() from None
    conversation = db.session.get(Conversation, key) if 0 < key < 2**31 else None
    if conversation is None or conversation.openid != openid:
        raise ConversationNotFound()
    return conversation


def customer_conversations(openid: str, limit: int = RECENT) -> list[Conversation]:
    return list(db.session.scalars(select(Conversation).where(Conversation.openid == openid)
                                   .order_by(Conversation.id.desc()).limit(limit)))


# -- staff -----------------------------------------------------------------------------------------------------
def _staff_branch_code(staff: StaffUser) -> str | None:
    return staff.branch.code if staff.branch is not None else None


def is_head_office(staff: StaffUser) -> bool:
    return staff.role == ROLE_HEAD_OFFICE


def scope(query, staff: StaffUser):
    """Head office: every conversation; a branch operator: their branch's and those assigned to them."""
    if is_head_office(staff):
        return query
    code = _staff_branch_code(staff)
    return query.where(or_(Conversation.assignee_id == staff.id,
                           Conversation.branch_code == code if code else False))


def staff_conversation(staff: StaffUser, conversation_id) -> Conversation:
    try:
        key = int(str(conversation_id))
    except (TypeError, ValueError):
        raise ConversationNotFound() from None
    if not 0 < key < 2**31:
        raise ConversationNotFound()
    conversation = db.session.scalar(scope(select(Conversation).where(Conversation.id == key), staff))
    if conversation is None:
        raise ConversationNotFound()
    return conversation


BOXES = ("mine", "queue", "branch", "closed")
BOX_LABELS = {"mine": _l("我的会话"), "queue": _l("待接入"), "branch": _l("全部进行中"), "closed": _l("已结束")}


def _box_query(staff: StaffUser, box: str, branch_code: str | None = None):
    query = scope(select(Conversation), staff)
    if is_head_office(staff) and branch_code:
        query = query.where(Conversation.branch_code == (None if branch_code == "-" else branch_code))
    if box == "mine":
        return query.where(Conversation.assignee_id == staff.id, Conversation.status == OPEN)
    if box == "queue":
        code = None if is_head_office(staff) and not branch_code else _staff_branch_code(staff)
        query = query.where(Conversation.assignee_id.is_(None), Conversation.status == OPEN)
        if not is_head_office(staff):
            query = query.where(Conversation.branch_code == code)
        return query
    if box == "closed":
        return query.where(Conversation.status == CLOSED)
    return query.where(Conversation.status == OPEN)


def inbox(staff: StaffUser, box: str, branch_code: str | None = None) -> list[Conversation]:
    box = box if box in BOXES else "mine"
    query = _box_query(staff, box, branch_code)
    order = Conversation.last_message_at.desc() if box == "closed" else Conversation.last_message_at.desc()
    return list(db.session.scalars(query.order_by(order, Conversation.id.desc()).limit(INBOX_LIMIT)))


def box_counts(staff: StaffUser, branch_code: str | None = None) -> dict[str, int]:
    counts = {}
    for box in ("mine", "queue", "branch"):
        query = _box_query(staff, box, branch_code)
        counts[box] = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return counts


def allowed_hosts(config) -> set[str]:
    hosts = {urlsplit(config["PUBLIC_BASE_URL"]).hostname or ""}
    hosts |= {host.strip().lower() for host in config.get("CONVERSATION_LINK_HOSTS", "").split(",") if host.strip()}
    return {host for host in hosts if host}


def clean_reply(text: str | None, config) -> str:
    """A staff reply as it is sent and stored, or ConversationRefused naming `body` with the reason."""
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ConversationRefused("body", _("请输入回复内容"))
    if len(text) > REPLY_MAX:
        raise ConversationRefused("body", _("回复最多 %(n)d 字，当前 %(count)d 字", n=REPLY_MAX, count=len(text)))
    if len(text.encode("utf-8")) > REPLY_MAX_BYTES:
        raise ConversationRefused("body", _("回复超过微信客服消息的长度上限（%(n)d 字节），请分条发送",
                                            n=REPLY_MAX_BYTES))
    if "]]>" in text:
        raise ConversationRefused("body", _("回复不能包含「]]>」"))
    if _TAG.search(text):
        raise ConversationRefused("body", _("回复为纯文本，不能包含 HTML 标签（如 <a>）；链接请直接写网址"))
    hosts = allowed_hosts(config)
    for match in _URL.finditer(text):
        url = match.group(0)
        host = (urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
        if host not in hosts:
            raise ConversationRefused("body", _("链接「%(host)s」不是本行的网址，不能发送", host=host or url[:40]))
    return scrub(text)


def _audit(action: str, conversation: Conversation, after: dict | None = None, before: dict | None = None) -> None:
    audit.record(action, "conversation", conversation.id, before, after, pii={"openid": "openid"}, commit=False)


def reply(staff: StaffUser, conversation: Conversation, text: str | None) -> ConversationMessage:
    if conversation.status != OPEN:
        raise ConversationStateRefused(_("会话已结束，不能再回复"))
    body = clean_reply(text, current_app.config)
    at = now()
    if conversation.assignee_id is None:  # answering from the queue takes the conversation
        conversation.assignee_id = staff.id
        conversation.assignee = staff
    message = _add_message(conversation, STAFF, body, at, staff=staff)
    if conversation.first_response_at is None:
        conversation.first_response_at = at
    conversation.waiting_since = None
    conversation.unanswered = 0
    db.session.flush()
    notify.add(conversation, message)
    _audit("reply", conversation, {"message": message.id, "length": len(body)})
    db.session.commit()
    return message


def take(staff: StaffUser, conversation: Conversation) -> None:
    if conversation.status != OPEN:
        raise ConversationStateRefused(_("会话已结束"))
    if conversation.assignee_id == staff.id:
        return
    before = {"assignee_id": conversation.assignee_id}
    conversation.assignee_id = staff.id
    conversation.assignee = staff
    _add_message(conversation, SYSTEM, _("%(name)s 接入会话", name=staff.display_name), now())
    _audit("take", conversation, {"assignee_id": staff.id}, before)
    db.session.commit()


def transfer_targets(staff: StaffUser) -> tuple[list[StaffUser], list[Branch]]:
    people = list(db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True), StaffUser.id != staff.id)
                                     .order_by(StaffUser.branch_id, StaffUser.display_name)))
    branches = list(db.session.scalars(select(Branch).where(Branch.closed_at.is_(None)).order_by(Branch.code)))
    return people, branches


def transfer(staff: StaffUser, conversation: Conversation, target: str | None) -> str:
    """To another staff member ("staff:<id>") or a branch queue ("branch:<code>"; "branch:-" head office)."""
    if conversation.status != OPEN:
        raise ConversationStateRefused(_("会话已结束，不能转接"))
    kind, _sep, value = (target or "").partition(":")
    before = {"assignee_id": conversation.assignee_id, "branch_code": conversation.branch_code}
    if kind == "staff" and value.isdigit() and 0 < int(value) < 2**31:
        person = db.session.get(StaffUser, int(value))
        if person is None or not person.active:
            raise ConversationRefused("target", _("请选择在岗的工作人员"))
        conversation.assignee_id, conversation.assignee = person.id, person
        conversation.branch_code = _staff_branch_code(person) or conversation.branch_code
        label = person.display_name
    elif kind == "branch":
        code = None if value == "-" else value
        if code is not None and db.session.scalar(select(Branch.id).where(Branch.code == code)) is None:
            raise ConversationRefused("target", _("请选择网点"))
        conversation.assignee_id, conversation.assignee = None, None
        conversation.branch_code = code
        label = _("%(code)s 队列", code=code) if code else _("总行队列")
    else:
        raise ConversationRefused("target", _("请选择转接对象"))
    _add_message(conversation, SYSTEM, _("%(name)s 将会话转接给 %(target)s", name=staff.display_name, target=label),
                 now())
    _audit("transfer", conversation, {"assignee_id": conversation.assignee_id,
                                      "branch_code": conversation.branch_code}, before)
    db.session.commit()
    return label


def _close(conversation: Conversation, closed_by: str, staff: StaffUser | None) -> ConversationMessage:
    at = now()
    conversation.status, conversation.closed_at, conversation.closed_by = CLOSED, at, closed_by[:64]
    conversation.waiting_since, conversation.unanswered = None, 0
    return _add_message(conversation, SYSTEM, _("会话已结束"), at, staff=staff)


def close(staff: StaffUser, conversation: Conversation) -> None:
    """Staff end the conversation; the customer is asked for a rating (through the outbox)."""
    if conversation.status != OPEN:
        raise ConversationStateRefused(_("会话已结束"))
    _close(conversation, staff.username, None)
    closing = _add_message(conversation, STAFF, _("本次人工服务已结束，感谢您的耐心。") + rating_prompt(), now(),
                           staff=staff)
    db.session.flush()
    notify.add(conversation, closing, notify.CLOSING)
    _audit("close", conversation, {"status": CLOSED})
    db.session.commit()


def window_left(openid: str) -> dict:
    """What WeChat's customer-service windows still take for this customer, less the replies already queued."""
    from ...outbox.models import OPEN_STATES, Notice

    at = now()
    state = window_state(db.session.connection(), openid, at)
    queued = db.session.scalar(select(func.count()).select_from(Notice).where(
        Notice.topic == notify.TOPIC_NAME, Notice.openid == openid, Notice.state.in_(OPEN_STATES))) or 0
    left = max(0, state["message_left"] + state["event_left"] - queued)
    return {"left": left, "queued": queued}


def canned_replies(staff: StaffUser) -> list[CannedReply]:
    query = select(CannedReply).order_by(CannedReply.branch_code.is_(None), CannedReply.title)
    if not is_head_office(staff):
        code = _staff_branch_code(staff)
        query = query.where(or_(CannedReply.branch_code.is_(None), CannedReply.branch_code == code))
    return list(db.session.scalars(query))


# -- the customer's profile beside the thread (masked) ---------------------------------------------------------
def profile(conversation: Conversation) -> dict:
    openid = conversation.openid
    bindings = [{"card": b.card_mask, "branch": b.branch_code or ""} for b in active_bindings(openid)]
    assignment = db.session.get(CustomerManager, openid)
    earlier = list(db.session.scalars(select(Conversation).where(
        Conversation.openid == openid, Conversation.id != conversation.id).order_by(Conversation.id.desc())
        .limit(RECENT)))
    complaints = list(db.session.scalars(select(Complaint).where(Complaint.openid == openid)
                                         .order_by(Complaint.id.desc()).limit(RECENT)))
    return {"customer": mask_openid(openid), "bindings": bindings, "assignment": assignment,
            "earlier": earlier, "complaints": complaints}


def managers() -> list[AccountManager]:
    return list(db.session.scalars(select(AccountManager).where(AccountManager.active.is_(True))))


def set_manager(staff: StaffUser, conversation: Conversation, manager_id) -> CustomerManager:
    """Make an account manager this customer's own (from the conversation page)."""
    try:
        key = int(str(manager_id))
    except (TypeError, ValueError):
        key = 0
    manager = db.session.get(AccountManager, key) if 0 < key < 2**31 else None
    if manager is None or not manager.active:
        raise ConversationRefused("manager_id", _("请选择客户经理"))
    assignment = db.session.get(CustomerManager, conversation.openid)
    before = {"manager_id": assignment.manager_id} if assignment else None
    if assignment is None:
        assignment = CustomerManager(openid=conversation.openid, contact_consent=False)
        db.session.add(assignment)
    assignment.manager_id, assignment.manager = manager.staff_id, manager
    assignment.assigned_at, assignment.assigned_by = now(), staff.username
    audit.record("assign_manager", "conversation_customer_manager", mask_openid(conversation.openid), before,
                 {"manager_id": manager.staff_id}, commit=False)
    db.session.commit()
    return assignment


def my_manager(openid: str) -> CustomerManager | None:
    return manager_of(openid)


def set_consent(openid: str, consent: bool) -> CustomerManager:
    assignment = manager_of(openid)
    if assignment is None:
        raise ConversationStateRefused(_("您还没有专属客户经理"))
    assignment.contact_consent = bool(consent)
    assignment.consent_at = now()
    db.session.commit()
    return assignment


# -- retention, export, figures --------------------------------------------------------------------------------
def prune(days: int | None = None) -> int:
    """Delete conversations closed more than `days` (CONVERSATION_RETENTION_DAYS) ago; how many went."""
    days = days or current_app.config["CONVERSATION_RETENTION_DAYS"]
    cutoff = now() - timedelta(days=days)
    ids = list(db.session.scalars(select(Conversation.id).where(Conversation.status == CLOSED,
                                                                Conversation.closed_at < cutoff)))
    for start_at in range(0, len(ids), 500):
        chunk = ids[start_at:start_at + 500]
        db.session.execute(delete(ConversationMessage).where(ConversationMessage.conversation_id.in_(chunk)))
        db.session.execute(delete(Conversation).where(Conversation.id.in_(chunk)))
    db.session.commit()
    return len(ids)


EXPORT_HEADER = ("conversation", "customer", "branch", "opened_at", "closed_at", "rating", "message", "at", "author",
                 "staff", "body")


def export_csv(conversations) -> str:
    """The conversations and their (masked) messages as CSV, local times; for a complaint or an audit."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)

    def when(moment):
        return f"{_local(moment):%Y-%m-%d %H:%M:%S}" if moment else ""

    for conversation in conversations:
        for message in conversation.messages:
            body = message.body
            if body[:1] in ("=", "+", "-", "@"):  # a spreadsheet must not run it as a formula
                body = "'" + body
            writer.writerow((conversation.id, mask_openid(conversation.openid), conversation.branch_code or "",
                             when(conversation.opened_at), when(conversation.closed_at), conversation.rating or "",
                             message.id, when(message.at), message.author, message.staff_name or "", body))
    return out.getvalue()


def conversations_between(staff: StaffUser | None, first: datetime, last: datetime) -> list[Conversation]:
    query = select(Conversation).where(Conversation.opened_at >= first, Conversation.opened_at < last)
    if staff is not None:
        query = scope(query, staff)
    return list(db.session.scalars(query.order_by(Conversation.id)))


def dashboard_figures(branch_code: str | None, days: int) -> dict:
    """Open and waiting conversations, and over the last `days` days the median first-response and resolution
    minutes and the average rating (a branch: its own)."""
    since = now() - timedelta(days=days)
    base = select(Conversation)
    if branch_code is not None:
        base = base.where(Conversation.branch_code == branch_code)
    open_count = db.session.scalar(select(func.count()).select_from(
        base.where(Conversation.status == OPEN).subquery())) or 0
    waiting = db.session.scalar(select(func.count()).select_from(
        base.where(Conversation.status == OPEN, Conversation.waiting_since.is_not(None)).subquery())) or 0
    recent = list(db.session.execute(select(Conversation.opened_at, Conversation.first_response_at,
                                            Conversation.closed_at, Conversation.rating)
                                     .where(Conversation.opened_at >= since,
                                            *([Conversation.branch_code == branch_code]
                                              if branch_code is not None else []))))
    first = [(r.first_response_at - r.opened_at).total_seconds() / 60 for r in recent if r.first_response_at]
    resolved = [(r.closed_at - r.opened_at).total_seconds() / 60 for r in recent if r.closed_at]
    ratings = [r.rating for r in recent if r.rating]
    return {"open": open_count, "waiting": waiting,
            "first_response_minutes": round(median(first)) if first else None,
            "resolution_minutes": round(median(resolved)) if resolved else None,
            "rating": round(sum(ratings) / len(ratings), 1) if ratings else None, "rated": len(ratings)}
