"""/h5/credit: the customer's bound credit cards (limit, owed, available credit, the newest statement), a card's
statements with their transactions, and the repayment form -> the PIN (with the captcha after 3 wrong ones) ->
the result. Every page is for the customer identified through OAuth2; a refused form is the form again (400,
409 for a key conflict, 403 for a card that is not the customer's) with the reason and the field named."""

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from ... import settings
from ...core_banking.port import CoreBankingError, CoreUnavailable
from ...h5.errors import error_page, refusal_page, status_of
from ...h5.oauth import customer_required
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import mask_card, mask_openid
from ...shared.timeutil import local_time
from ...web import captcha as captcha_guard
from ...web.captcha import new_answer
from ..transfers.service import PinRejected, pin_keys, pin_status_of
from . import service
from .models import AWAITING_PIN, MODE_AMOUNT, MODE_FULL, MODE_MINIMUM
from .service import RepaymentInput, RepaymentRefused

bp = Blueprint("credit", __name__, url_prefix="/credit")

SESSION_CAPTCHA = "credit_captcha"
CAPTCHA_PURPOSE = b"credit-repayment-captcha"
FIELD_LABELS = {"card": _l("信用卡"), "from_card": _l("还款卡"), "mode": _l("还款方式"), "amount": _l("还款金额"),
                "pin": _l("交易密码"), "form": _l("页面")}
STATEMENTS_SHOWN = 6


def _core_down(exc: CoreBankingError):
    return refusal_page(_("暂时无法查询"), exc, url_for("h5.credit.index"))


def _card_or_404(binding_id: int):
    try:
        return service.own_credit_card(g.openid, binding_id)
    except RepaymentRefused:
        return None


def _not_found():
    return error_page(_("信用卡不存在"), _("未找到该信用卡，请从信用卡页面重新进入。"), 404, url_for("h5.credit.index"))


@bp.get("")
@customer_required
def index():
    try:
        cards = [service.summary(card) for card in service.credit_cards_of(g.openid)]
    except CoreBankingError as exc:
        return _core_down(exc)
    if not cards:
        return render_template("h5/credit/no_card.html", customer=mask_openid(g.openid))
    return render_template("h5/credit/index.html", cards=cards, customer=mask_openid(g.openid))


@bp.get("/<int:binding_id>/statements")
@customer_required
def statements(binding_id: int):
    card = _card_or_404(binding_id)
    if card is None:
        return _not_found()
    try:
        view = service.summary(card)
        found = service.statements_of(card, STATEMENTS_SHOWN)
    except CoreBankingError as exc:
        return _core_down(exc)
    chosen = next((item for item in found if item.statement_id == request.args.get("s")), found[0] if found else None)
    return render_template("h5/credit/statements.html", card=card, view=view, statements=found, chosen=chosen,
                           local_time=local_time, mask_card=mask_card,
                           repayments=service.repayments_of(g.openid, card.account.account_id))


def _form_page(card, values: dict, key: str, error: RepaymentRefused | None = None, status: int = 200):
    try:
        view = service.summary(card)
        debit_cards = service.debit_cards_of(g.openid)
    except CoreBankingError as exc:
        return _core_down(exc)
    if not debit_cards:
        return render_template("h5/credit/no_debit_card.html", card=card), status if error else 200
    latest = view.latest
    full = latest.remaining_fen if latest is not None and latest.remaining_fen > 0 else view.credit.owed_fen
    minimum = min(latest.minimum_remaining_fen, view.credit.owed_fen) if latest is not None else 0
    return render_template(
        "h5/credit/repay.html", card=card, view=view, debit_cards=debit_cards, values=values, key=key,
        error=error, error_field=FIELD_LABELS.get(error.field, "") if error is not None else "",
        full_fen=full, minimum_fen=minimum, modes=(MODE_FULL, MODE_MINIMUM, MODE_AMOUNT),
    ), status


@bp.get("/<int:binding_id>/repay")
@customer_required
def repay_form(binding_id: int):
    card = _card_or_404(binding_id)
    if card is None:
        return _not_found()
    return _form_page(card, {"mode": request.args.get("mode", MODE_FULL)}, service.new_idempotency_key())


@bp.post("/<int:binding_id>/repay")
@customer_required
def repay_submit(binding_id: int):
    values = {name: request.form.get(name, "") for name in ("from_card", "mode", "amount")}
    data = RepaymentInput.from_form({**request.form.to_dict(), "card": str(binding_id)})
    try:
        order = service.place_repayment(g.openid, data)
    except RepaymentRefused as exc:
        card = _card_or_404(binding_id)
        if card is None:
            return refusal_page(_("无法还款"), exc, url_for("h5.credit.index"))
        keep = not isinstance(exc, service.RepaymentConflict) and service.IDEMPOTENCY_KEY.fullmatch(
            data.idempotency_key)
        return _form_page(card, values, data.idempotency_key if keep else service.new_idempotency_key(), exc,
                          status_of(exc))
    except CoreBankingError as exc:
        return refusal_page(_("无法还款"), exc, url_for("h5.credit.index"))
    return redirect(url_for("h5.credit.confirm", key=order.idempotency_key), 303)


def _order_or_404(key: str):
    return service.customer_repayment(g.openid, key)


def _order_not_found():
    return error_page(_("还款不存在"), _("未找到该笔还款，请重新发起。"), 404, url_for("h5.credit.index"))


def _confirm_page(order, error: str | None = None, status: int = 200):
    return render_template("h5/credit/confirm.html", order=order, pin=pin_status_of(order), error=error,
                           lock_minutes=settings.of().transfers.lock_minutes, pin_keys=pin_keys()), status


@bp.get("/repay/confirm/<key>")
@customer_required
def confirm(key: str):
    order = _order_or_404(key)
    if order is None:
        return _order_not_found()
    if order.status != AWAITING_PIN:
        return redirect(url_for("h5.credit.result", key=key), 303)
    return _confirm_page(order)


@bp.post("/repay/confirm/<key>")
@customer_required
def confirm_submit(key: str):
    order = _order_or_404(key)
    if order is None:
        return _order_not_found()
    if order.status != AWAITING_PIN:  # a double tap or a retried request: already posted (or refused) once
        return redirect(url_for("h5.credit.result", key=key), 303)
    pin = pin_status_of(order)
    if pin.captcha_required and not pin.locked and not captcha_guard.check_answer(
            SESSION_CAPTCHA, CAPTCHA_PURPOSE, request.form.get("captcha", "")):
        return _confirm_page(order, _("图形验证码错误，请重新输入"), 400)
    try:
        order = service.confirm_repayment(g.openid, order, request.form.get("pin", ""), settings.of().transfers)
    except PinRejected as exc:  # PinLocked: 423
        return _confirm_page(order, exc.message, status_of(exc))
    except CoreUnavailable as exc:
        return refusal_page(_("无法还款"), exc, url_for("h5.credit.confirm", key=key))
    except DomainError as exc:
        return refusal_page(_("无法还款"), exc, url_for("h5.credit.index"))
    return redirect(url_for("h5.credit.result", key=key), 303)


@bp.get("/repay/result/<key>")
@customer_required
def result(key: str):
    order = _order_or_404(key)
    if order is None:
        return _order_not_found()
    if order.status == AWAITING_PIN:
        return redirect(url_for("h5.credit.confirm", key=key), 303)
    return render_template("h5/credit/result.html", order=order)


@bp.get("/captcha.png")
@customer_required
def captcha_image():
    response = Response(captcha_guard.issue_png(SESSION_CAPTCHA, CAPTCHA_PURPOSE, new_answer()), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response
