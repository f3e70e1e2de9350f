"""/h5/requests: the customer's requests routed to a branch. The index (both kinds and the customer's own
requests), the loan form, the appointment form (branch and day, then a slot with the places left), a status
page per request with withdraw / cancel / reschedule. A refused form is the form again with the reason naming
the field (400, 409 for a full slot); nothing is stored then."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from ...extensions import db
from ...h5.oauth import customer_required
from ...shared.i18n import _
from ..binding.service import active_bindings
from ..branches.service import open_branches
from . import service
from .models import BOOKED, KIND_CARD, KIND_LABELS, KIND_LOAN, STATUS_LABELS, BranchRequest, RequestEvent
from .service import RequestError, SlotFull

bp = Blueprint("requests", __name__, url_prefix="/requests")

LOAN_FIELDS = ("product", "amount", "term", "purpose", "contact_time", "branch", "consent")
CARD_FIELDS = ("branch", "day", "slot")
MAX_ROW_ID = 2**31 - 1


def what_to_bring() -> list[str]:
    return [_("本人有效身份证件（居民身份证）原件"), _("本人实名登记的手机号码"),
            _("如为他人代办，需携带代理人和本人的身份证件及授权书")]


def _binding():
    bindings = active_bindings(g.openid)
    return bindings[0] if bindings else None


def _own(request_id: int) -> BranchRequest:
    found = db.session.get(BranchRequest, request_id) if request_id <= MAX_ROW_ID else None
    if found is None or found.openid != g.openid:
        abort(404)
    return found


def _status_of(error: RequestError) -> int:
    return 409 if isinstance(error, SlotFull) else 400


@bp.get("")
@customer_required
def index():
    return render_template("h5/requests/index.html", mine=service.customer_requests(g.openid),
                           kinds=KIND_LABELS, statuses=STATUS_LABELS)


def _loan_page(values: dict, error: RequestError | None = None, status: int = 200):
    binding = _binding()
    who = service._who(binding) if binding else ("", "", "")
    return render_template("h5/requests/loan.html", values=values, error=error, binding=binding, who=who,
                           products=service.loan_products(), branches=open_branches()), status


@bp.get("/loan")
@customer_required
def loan_form():
    existing = service.open_request(g.openid, KIND_LOAN)
    if existing is not None:
        return redirect(url_for(".status", request_id=existing.id))
    binding = _binding()
    return _loan_page({"branch": binding.branch_code if binding else ""})


@bp.post("/loan")
@customer_required
def loan_submit():
    values = {key: (request.form.get(key) or "").strip() for key in LOAN_FIELDS}
    try:
        stored = service.apply_loan(g.openid, _binding(), values)
        db.session.commit()
    except RequestError as exc:
        db.session.rollback()
        return _loan_page(values, exc, _status_of(exc))
    return redirect(url_for(".status", request_id=stored.id), 303)


def _card_page(values: dict, error: RequestError | None = None, status: int = 200, current=None):
    today = service.bank_today()
    slots, closed = [], False
    values["branch"] = service.branch_code_of(values.get("branch"))
    branches = open_branches()
    if not values["branch"] and branches:  # the form as the customer first sees it: the first branch listed
        values["branch"] = branches[0].code
    if values.get("branch") and not values.get("day"):
        free = service.first_free_day(values["branch"], today)
        values["day"] = free.isoformat() if free else ""
    if values.get("branch") and values.get("day"):
        try:
            day = service.parse_day(values["day"], today)
            closed = service.is_closed(values["branch"], day)
            slots = service.slots_on(values["branch"], day)
        except RequestError as exc:
            error, status = error or exc, status if error else 400
    return render_template("h5/requests/card.html", values=values, error=error, branches=branches,
                           days=service.bookable_days(today), slots=slots, closed=closed, bring=what_to_bring(),
                           current=current), status


@bp.get("/card")
@customer_required
def card_form():
    existing = service.open_request(g.openid, KIND_CARD)
    if existing is not None and not request.args:
        return redirect(url_for(".status", request_id=existing.id))
    values = {key: (request.args.get(key) or "").strip() for key in CARD_FIELDS}
    return _card_page(values)


@bp.post("/card")
@customer_required
def card_submit():
    values = {key: (request.form.get(key) or "").strip() for key in CARD_FIELDS}
    try:
        stored = service.book_appointment(g.openid, _binding(), values)
    except RequestError as exc:
        return _card_page(values, exc, _status_of(exc))
    return redirect(url_for(".status", request_id=stored.id), 303)


@bp.get("/<int:request_id>")
@customer_required
def status(request_id: int):
    found = _own(request_id)
    events = db.session.query(RequestEvent).filter_by(request_id=found.id).order_by(RequestEvent.id).all()
    return render_template("h5/requests/status.html", item=found, events=events, kinds=KIND_LABELS,
                           statuses=STATUS_LABELS, open=found.status in service.OPEN[found.kind],
                           bring=what_to_bring() if found.kind == KIND_CARD else [])


@bp.post("/<int:request_id>/cancel")
@customer_required
def cancel(request_id: int):
    found = _own(request_id)
    try:
        service.cancel_by_customer(found)
    except RequestError as exc:
        db.session.rollback()
        return render_template("h5/error.html", title=_("申请状态"), reason=exc.message,
                               retry=url_for(".status", request_id=found.id)), 409
    return redirect(url_for(".status", request_id=found.id), 303)


@bp.route("/<int:request_id>/reschedule", methods=("GET", "POST"))
@customer_required
def reschedule(request_id: int):
    found = _own(request_id)
    if found.kind != KIND_CARD or found.status != BOOKED:
        abort(404)
    source = request.form if request.method == "POST" else request.args
    values = {key: (source.get(key) or "").strip() for key in CARD_FIELDS}
    values["branch"] = values["branch"] or found.branch_code
    if request.method == "GET":
        return _card_page(values, current=found)
    try:
        service.reschedule(found, values)
    except RequestError as exc:
        return _card_page(values, exc, _status_of(exc), current=found)
    return redirect(url_for(".status", request_id=found.id), 303)
