"""/h5/conversations: the customer's conversation with staff (the whole thread, replies that waited outside WeChat's
window included), writing to it, and the one-tap rating after the close; /h5/conversations/manager: 我的客户经理
(name, photo, branch, phone) and the customer's consent to be contacted. For the customer identified through
OAuth2; a wrong value is the page again with the field named (400), never a 500."""

from flask import Blueprint, g, redirect, render_template, request, url_for

from ...h5.oauth import customer_required
from ...shared.i18n import _
from ...shared.masking import mask_openid
from ...shared.timeutil import local_time
from . import service
from .models import CLOSED

bp = Blueprint("conversations", __name__, url_prefix="/conversations")


def _page(error=None, status: int = 200, body: str = ""):
    conversation = service.latest_conversation(g.openid)
    return render_template(
        "h5/conversations/thread.html", conversation=conversation, error=error, body=body,
        messages=[m for m in conversation.messages if not m.author == "system"] if conversation else [],
        ratings=sorted(service.RATINGS.items(), reverse=True), local=local_time, customer=mask_openid(g.openid),
        closed=CLOSED, max_chars=service.CUSTOMER_MAX), status


@bp.get("")
@customer_required
def thread():
    return _page()


@bp.post("")
@customer_required
def write():
    text = (request.form.get("body") or "").strip()
    if not text:
        return _page(service.ConversationRefused("body", _("请输入内容")), 400)
    if len(text) > service.CUSTOMER_MAX:
        return _page(service.ConversationRefused("body", _("最多 %(n)d 字", n=service.CUSTOMER_MAX)), 400, text)
    service.customer_message(g.openid, text)
    return redirect(url_for("h5.conversations.thread"), 303)


@bp.post("/<conversation_id>/rate")
@customer_required
def rate(conversation_id: str):
    try:
        service.rate(g.openid, conversation_id, request.form.get("rating"))
    except service.ConversationNotFound as exc:
        return _page(exc, 404)
    except service.ConversationRefused as exc:
        return _page(exc, 400)
    except service.ConversationStateRefused as exc:
        return _page(exc, 409)
    return redirect(url_for("h5.conversations.thread"), 303)


def _manager_page(error=None, status: int = 200):
    assignment = service.my_manager(g.openid)
    branch = assignment.manager.staff.branch if assignment else None
    return render_template("h5/conversations/manager.html", assignment=assignment, branch=branch, error=error,
                           customer=mask_openid(g.openid)), status


@bp.get("/manager")
@customer_required
def manager():
    return _manager_page()


@bp.post("/manager/consent")
@customer_required
def consent():
    choice = request.form.get("consent")
    if choice not in ("yes", "no"):
        return _manager_page(service.ConversationRefused("consent", _("请选择是否同意")), 400)
    try:
        service.set_consent(g.openid, choice == "yes")
    except service.ConversationStateRefused as exc:
        return _manager_page(exc, 409)
    return redirect(url_for("h5.conversations.manager"), 303)
