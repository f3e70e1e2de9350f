"""/h5/transfer: the form, the confirmation with the transaction PIN (and the captcha after 3 wrong ones),
the result. Every page is for the customer identified through OAuth2; every refusal is a Chinese page."""

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
from .banks import OTHER_BANKS, bank_name
from .captcha import check_answer, issue_png
from .limits import LimitExceeded, TransferLimits, lower_limits
from .models import AWAITING_PIN, TransferOrder
from .service import (
    IDEMPOTENCY_KEY,
    OrderConflict,
    PinRejected,
    TransferInput,
    confirm_order,
    customer_order,
    new_idempotency_key,
    pin_status_of,
    place_order,
)

bp = Blueprint("transfer", __name__, url_prefix="/transfer")

FORM_FIELDS = ("binding_id", "payee_number", "payee_name", "payee_bank", "amount", "memo")


def _error(title: str, reason: str, status: int, retry: str | None = None):
    return error_page(title, reason, status, retry or url_for("h5.transfer.form"))


def _form_page(values: dict, key: str, error: str | None = None, status: int = 200):
    bindings = active_bindings(g.openid)
    if not bindings:
        return render_template("h5/transfer/no_card.html", customer=mask_openid(g.openid)), status
    return render_template(
        "h5/transfer/form.html", bindings=bindings, values=values, key=key, error=error,
        other_banks=OTHER_BANKS, limits=TransferLimits.for_customer(settings.of().transfers, g.openid),
        customer=mask_openid(g.openid),
    ), status


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
    return redirect(url_for("h5.transfer.confirm", key=order.idempotency_key), 303)


def _own_order(key: str) -> TransferOrder | None:
    return customer_order(g.openid, key)


def _not_found():
    return _error(_("交易不存在"), _("未找到该笔转账，请重新发起。"), 404)


def _confirm_page(order: TransferOrder, error: str | None = None, status: int = 200):
    pin = pin_status_of(order)
    return render_template(
        "h5/transfer/confirm.html", order=order, pin=pin, error=error,
        bank=_bank(order), lock_minutes=settings.of().transfers.lock_minutes,
    ), status


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
    return _confirm_page(order)


@bp.post("/confirm/<key>")
@customer_required
def confirm_submit(key: str):
    order = _own_order(key)
    if order is None:
        return _not_found()
    if order.status != AWAITING_PIN:  # a double tap or a retried request: already posted (or refused) once
        return redirect(url_for("h5.transfer.result", key=key), 303)
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
    return render_template("h5/transfer/result.html", order=order, bank=_bank(order))


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
                           customer=mask_openid(g.openid)), status


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
