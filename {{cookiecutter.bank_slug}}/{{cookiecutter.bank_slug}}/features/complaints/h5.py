"""/h5/complaints: the complaint form (and the customer's own tickets), a ticket's page with its thread, the rating
and the one reopening. Every page is for the customer identified through OAuth2; a wrong value is the form again
with the field named (400), another customer's ticket a 404, never a 500."""

from flask import Blueprint, g, redirect, render_template, request, url_for

from ...h5.errors import error_page
from ...h5.oauth import customer_required
from ...shared.i18n import _
from ...shared.masking import mask_openid
from ...shared.timeutil import local_time
from . import service
from .service import (
    CATEGORIES,
    CONTACT_CHANNELS,
    CONTACT_TIMES,
    STATUS_LABELS,
    ComplaintInput,
    ComplaintNotFound,
    ComplaintRefused,
    ComplaintStateRefused,
)

bp = Blueprint("complaints", __name__, url_prefix="/complaints")

FORM_FIELDS = ("category", "description", "transaction", "contact_channel", "contact_time")


def _form_page(values: dict, key: str, error: ComplaintRefused | None = None, status: int = 200):
    return render_template(
        "h5/complaints/form.html", values=values, key=key, error=error, categories=CATEGORIES,
        channels=CONTACT_CHANNELS, times=CONTACT_TIMES, transactions=service.recent_transactions(g.openid),
        tickets=service.customer_complaints(g.openid), status_labels=STATUS_LABELS,
        max_chars=service.DESCRIPTION_MAX, customer=mask_openid(g.openid),
    ), status


@bp.get("")
@customer_required
def form():
    return _form_page({"contact_channel": "wechat", "contact_time": "any"}, service.new_idempotency_key())


@bp.post("")
@customer_required
def submit():
    data = ComplaintInput.from_form(request.form)
    try:
        complaint = service.file_complaint(g.openid, data)
    except ComplaintRefused as exc:
        values = {name: request.form.get(name, "") for name in FORM_FIELDS}
        keep = exc.field != "idempotency_key"
        return _form_page(values, data.idempotency_key if keep else service.new_idempotency_key(), exc, 400)
    return redirect(url_for("h5.complaints.ticket", ticket_no=complaint.ticket_no), 303)


def _ticket_page(complaint, error: ComplaintRefused | ComplaintStateRefused | None = None, status: int = 200):
    return render_template(
        "h5/complaints/ticket.html", complaint=complaint, error=error, status_label=STATUS_LABELS[complaint.status],
        category=CATEGORIES.get(complaint.category, complaint.category), deadline=service.deadline(complaint),
        days_left=service.days_left(complaint), overdue=service.is_overdue(complaint),
        channel=CONTACT_CHANNELS[complaint.contact_channel], contact_time=CONTACT_TIMES[complaint.contact_time],
        local=local_time, customer=mask_openid(g.openid),
    ), status


def _not_found():
    return error_page(_("投诉不存在"), _("未找到该投诉，或它不是您提交的投诉。"), 404, url_for("h5.complaints.form"))


@bp.get("/<ticket_no>")
@customer_required
def ticket(ticket_no: str):
    try:
        complaint = service.customer_complaint(g.openid, ticket_no)
    except ComplaintNotFound:
        return _not_found()
    return _ticket_page(complaint)


def _customer_step(ticket_no: str, step):
    try:
        complaint = service.customer_complaint(g.openid, ticket_no)
        step(complaint)
    except ComplaintNotFound:
        return _not_found()
    except ComplaintRefused as exc:
        return _ticket_page(service.customer_complaint(g.openid, ticket_no), exc, 400)
    except ComplaintStateRefused as exc:
        return _ticket_page(service.customer_complaint(g.openid, ticket_no), exc, 409)
    return redirect(url_for("h5.complaints.ticket", ticket_no=ticket_no), 303)


@bp.post("/<ticket_no>/rate")
@customer_required
def rate(ticket_no: str):
    return _customer_step(ticket_no, lambda complaint: service.rate(
        g.openid, ticket_no, request.form.get("rating"), request.form.get("comment", "")))


@bp.post("/<ticket_no>/reopen")
@customer_required
def reopen(ticket_no: str):
    return _customer_step(ticket_no, lambda complaint: service.reopen(g.openid, ticket_no, request.form.get("reason")))
