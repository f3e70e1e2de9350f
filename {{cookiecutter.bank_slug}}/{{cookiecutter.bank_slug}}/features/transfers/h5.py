"""/h5/transfer: the form, the new-payee warning, the confirmation with the transaction PIN on a randomised keypad
(and the captcha after 3 wrong ones), the result with 撤销 for a held transfer, the records. Every page is for the
customer identified through OAuth2; every refusal is a Chinese page."""


from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for

from ... import settings
from ...extensions import db
from ...h5.errors import error_page, refusal_page, status_of
from ...h5.oauth import customer_required
from ...shared.errors import DomainError
from ...shared.i18n import _
from ...shared.masking import mask_openid
from ...shared.money import AmountError, parse_yuan
from ...web.language import bank_name as language_bank_name
from ..binding.service import active_bindings
from . import safety
from .admin import STATUS_LABELS
from .banks import OTHER_BANKS, bank_name
from .captcha import check_answer, issue_png
from .limits import LimitExceeded, TransferLimits, lower_limits
from .models import AWAITING_PIN, HELD, TransferOrder
from .service import (
    IDEMPOTENCY_KEY,
    OrderConflict,
    PinRejected,
    RevokeRefused,
    TransferInput,
    acknowledge_warning,
    confirm_order,
    customer_order,
    needs_warning,
    new_idempotency_key,
    pin_keys,
    pin_status_of,
    place_order,
    revoke_order,
)

bp = Blueprint("transfer", __name__, url_prefix="/transfer")

FORM_FIELDS = ("binding_id", "payee_number", "payee_name", "payee_bank", "amount", "memo", "arrival", "recent_payee")
RECORDS_SHOWN = 20


def _error(title: str, reason: str, status: int, retry: str | None = None):
    return error_page(title, reason, status, retry or url_for("h5.transfer.form"))


def _form_page(values: dict, key: str, error: str | None = None, status: int = 200):
    bindings = active_bindings(g.openid)
    if not bindings:
        return render_template("h5/transfer/no_card.html", customer=mask_openid(g.openid)), status
    rules = safety.current()
    return render_template(
        "h5/transfer/form.html", bindings=bindings, values=values, key=key, error=error,
        other_banks=OTHER_BANKS, limits=TransferLimits.for_customer(settings.of().transfers, g.openid),
        customer=mask_openid(g.openid), recent=safety.recent_payees(g.openid), arrivals=safety.ARRIVAL_LABELS,
        default_arrival=safety.default_arrival(g.openid), normal_hours=_hours(rules.normal_minutes),
        next_day_hour=rules.next_day_hour,
    ), status


def _hours(minutes: int) -> str:
    return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes / 60:.1f}"


@bp.get("")
@customer_required
def form():
    return _form_page({"binding_id": request.args.get("card", "")}, new_idempotency_key())


@bp.post("")
@customer_required
def submit():
    data = TransferInput.from_form(request.form)
    try:
        order = place_order(g.openid, data, settings.of().transfers, settings.of().security)
    except DomainError as exc:  # TransferRefused, LimitExceeded, CoreUnavailable
        values = {name: request.form.get(name, "") for name in FORM_FIELDS}
        keep = not isinstance(exc, OrderConflict) and IDEMPOTENCY_KEY.fullmatch(data.idempotency_key)
        key = data.idempotency_key if keep else new_idempotency_key()
        return _form_page(values, key, exc.message, status_of(exc))
    if needs_warning(order):
        return redirect(url_for("h5.transfer.warning", key=order.idempotency_key), 303)
    return redirect(url_for("h5.transfer.confirm", key=order.idempotency_key), 303)


def _warning_page(order: TransferOrder, error: str | None = None, status: int = 200):
    rules = safety.current()
    return render_template("h5/transfer/warning.html", order=order, error=error,
                           new_payee_hours=rules.new_payee_hours, new_payee_limit=rules.new_payee_limit_fen), status


@bp.get("/warning/<key>")
@customer_required
def warning(key: str):
    order = _own_order(key)
    if order is None:
        return _not_found()
    if not needs_warning(order):
        return redirect(url_for("h5.transfer.confirm", key=key), 303)
    return _warning_page(order)


@bp.post("/warning/<key>")
@customer_required
def acknowledge(key: str):
    order = _own_order(key)
    if order is None:
        return _not_found()
    if needs_warning(order):
        if request.form.get("understood") != "1":
            return _warning_page(order, _("请勾选“我已阅读以上提示”后再继续"), 400)
        acknowledge_warning(order)
    return redirect(url_for("h5.transfer.confirm", key=key), 303)


def _own_order(key: str) -> TransferOrder | None:
    return customer_order(g.openid, key)


def _not_found():
    return _error(_("交易不存在"), _("未找到该笔转账，请重新发起。"), 404)


def _confirm_page(order: TransferOrder, error: str | None = None, status: int = 200):
    pin = pin_status_of(order)
    return render_template(
        "h5/transfer/confirm.html", order=order, pin=pin, error=error,
        bank=_bank(order), lock_minutes=settings.of().transfers.lock_minutes, arrival=_arrival(order),
        pin_keys=pin_keys(),
    ), status


def _arrival(order: TransferOrder) -> str:
    return str(safety.ARRIVAL_LABELS.get(order.arrival, order.arrival))


def _bank(order: TransferOrder) -> str:
    return bank_name(order.payee_bank, language_bank_name(current_app.config, short=True))


@bp.get("/confirm/<key>")
@customer_required
def confirm(key: str):
    order = _own_order(key)
    if order is None:
        return _not_found()
    if order.status != AWAITING_PIN:
        return redirect(url_for("h5.transfer.result", key=key), 303)
    if needs_warning(order):
        return redirect(url_for("h5.transfer.warning", key=key), 303)
    return _confirm_page(order)


@bp.post("/confirm/<key>")
@customer_required
def confirm_submit(key: str):
    order = _own_order(key)
    if order is None:
        return _not_found()
    if order.status != AWAITING_PIN:  # a double tap or a retried request: already posted (or refused) once
        return redirect(url_for("h5.transfer.result", key=key), 303)
    if needs_warning(order):
        return redirect(url_for("h5.transfer.warning", key=key), 303)
    pin = pin_status_of(order)
    if pin.captcha_required and not pin.locked and not check_answer(request.form.get("captcha", "")):
        return _confirm_page(order, _("图形验证码错误，请重新输入"), 400)
    try:
        order = confirm_order(g.openid, order, request.form.get("pin", ""), settings.of().transfers,
                              settings.of().security)
    except PinRejected as exc:  # PinLocked: 423
        return _confirm_page(order, exc.message, status_of(exc))
    except DomainError as exc:
        return refusal_page(_("无法转账"), exc, url_for("h5.transfer.form"))
    return redirect(url_for("h5.transfer.result", key=key), 303)


@bp.get("/result/<key>")
@customer_required
def result(key: str):
    order = _own_order(key)
    if order is None:
        return _not_found()
    if order.status == AWAITING_PIN:
        return redirect(url_for("h5.transfer.confirm", key=key), 303)
    return _result_page(order)


def _result_page(order: TransferOrder, notice: str | None = None, status: int = 200):
    when = safety.local_time_text(order.release_at, settings.of().transfers.timezone) if order.release_at else ""
    return render_template("h5/transfer/result.html", order=order, bank=_bank(order), arrival=_arrival(order),
                           release_time=when, notice=notice), status


@bp.post("/revoke/<key>")
@customer_required
def revoke(key: str):
    """撤销: a second tap, a revocation after the release, or one racing it gets the reason on the result page."""
    order = _own_order(key)
    if order is None:
        return _not_found()
    try:
        order = revoke_order(g.openid, order)
    except RevokeRefused as exc:
        db.session.rollback()
        db.session.refresh(order)
        return _result_page(order, exc.message, 409)
    except DomainError as exc:  # CoreUnavailable: nothing changed, try again
        return refusal_page(_("暂时无法撤销"), exc, url_for("h5.transfer.result", key=key))
    return redirect(url_for("h5.transfer.result", key=key), 303)


@bp.get("/records")
@customer_required
def records():
    timezone = settings.of().transfers.timezone
    orders = db.session.scalars(db.select(TransferOrder).where(
        TransferOrder.openid == g.openid, TransferOrder.status != AWAITING_PIN)
        .order_by(TransferOrder.id.desc()).limit(RECORDS_SHOWN)).all()
    rows = [(order, STATUS_LABELS.get(order.status, order.status),
             safety.local_time_text(order.release_at, timezone) if order.status == HELD and order.release_at else "")
            for order in orders]
    return render_template("h5/transfer/records.html", orders=rows, customer=mask_openid(g.openid))


@bp.get("/captcha.png")
@customer_required
def captcha_image():
    response = Response(issue_png(), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def _limits_page(values: dict | None = None, error: str | None = None, status: int = 200, saved: bool = False):
    transfers = settings.of().transfers
    return render_template("h5/transfer/limits.html", limits=TransferLimits.for_customer(transfers, g.openid),
                           bank_limits=TransferLimits.of(transfers), values=values or {}, error=error, saved=saved,
                           customer=mask_openid(g.openid), arrivals=safety.ARRIVAL_LABELS,
                           default_arrival=safety.default_arrival(g.openid)), status


@bp.post("/arrival")
@customer_required
def default_arrival():
    """The customer's default arrival: the form starts with it."""
    arrival = request.form.get("arrival", "")
    if arrival not in safety.ARRIVALS:
        return _limits_page(error=_("请选择默认到账方式（实时到账、普通到账或次日到账）"), status=400)
    safety.set_default_arrival(g.openid, arrival)
    db.session.commit()
    return redirect(url_for("h5.transfer.limits", saved=1), 303)


@bp.get("/limits")
@customer_required
def limits():
    return _limits_page(saved=request.args.get("saved") == "1")


@bp.post("/limits")
@customer_required
def lower():
    values = {name: request.form.get(name, "") for name in ("single", "daily")}
    try:
        single = parse_yuan(values["single"], _("单笔限额"), grouping=True)
        daily = parse_yuan(values["daily"], _("日累计限额"), grouping=True)
        lower_limits(g.openid, single, daily, settings.of().transfers)
    except (AmountError, LimitExceeded) as exc:
        db.session.rollback()
        return _limits_page(values, exc.message, 400)
    db.session.commit()
    return redirect(url_for("h5.transfer.limits", saved=1), 303)
