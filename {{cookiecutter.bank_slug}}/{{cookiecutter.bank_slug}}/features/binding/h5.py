"""/h5/bind (card, name, ID number, phone -> SMS code -> bound) and /h5/cards (the bound cards, unbind).

Every page is for the customer identified through OAuth2 (`g.openid`); a binding id from the browser
only ever selects among that customer's own bindings. Rules live in service.py; refusals
are Chinese messages on the page.
"""

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from ... import settings
from ...extensions import db
from ...h5.errors import error_page, refusal_page, status_of
from ...h5.oauth import customer_required
from ...shared.errors import DomainError
from ...shared.i18n import _
from ...shared.masking import mask_openid, mask_phone
from . import service as bindings
from .forms import BindForm, CodeForm, ResendForm, UnbindForm
from .models import BindingChallenge
from .service import BindingError, active_bindings, binding_for

bp = Blueprint("binding", __name__)

SESSION_CHALLENGE = "bind_challenge"  # id of the binding waiting for its SMS code


# -- bind: the form ------------------------------------------------------------------------------
def _form_page(form: BindForm, error: str | None = None, status: int = 200):
    return render_template("h5/bind/form.html", form=form, error=error, bound=len(active_bindings(g.openid)),
                           customer=mask_openid(g.openid)), status


@bp.get("/bind")
@customer_required
def form():
    try:
        bindings.check_preconditions(g.openid)  # the separate consent (features/privacy), before any input
    except bindings.PreconditionUnmet as exc:
        return redirect(exc.resolve_url)
    return _form_page(BindForm())


@bp.post("/bind")
@customer_required
def submit():
    form = BindForm()
    try:
        bindings.check_preconditions(g.openid)
    except bindings.PreconditionUnmet as exc:  # nothing typed is looked at, nothing is stored
        return refusal_page(_("绑定未开始"), exc, exc.resolve_url)
    if not form.validate():
        return _form_page(form, status=400)
    try:
        challenge = bindings.start_binding(g.openid, form.card_number.data, form.holder_name.data,
                                           form.id_number.data, form.phone.data, settings.of().brand,
                                           settings.of().security)
    except DomainError as exc:  # the binding's refusals and the core's (CoreUnavailable: 503)
        return _form_page(form, exc.message, status_of(exc))
    session[SESSION_CHALLENGE] = challenge.id
    return redirect(url_for("h5.binding.verify"))


# -- bind: the SMS code ----------------------------------------------------------------------------
def _challenge() -> BindingChallenge | None:
    challenge_id = session.get(SESSION_CHALLENGE)
    valid = isinstance(challenge_id, int) and 0 < challenge_id <= bindings.MAX_ROW_ID
    challenge = db.session.get(BindingChallenge, challenge_id) if valid else None
    if challenge is None or challenge.openid != g.openid or challenge.status != bindings.CHALLENGE_PENDING:
        return None
    return challenge


def _no_challenge():
    session.pop(SESSION_CHALLENGE, None)
    return error_page(_("绑定未完成"), bindings.ChallengeNotFound.message, 404, url_for("h5.binding.form"))


def _verify_page(challenge: BindingChallenge, form: CodeForm | None = None, error: str | None = None,
                 notice: str | None = None, status: int = 200):
    return render_template("h5/bind/verify.html", form=form or CodeForm(), resend_form=ResendForm(), error=error,
                           notice=notice, card=challenge.card_mask, phone=mask_phone(challenge.phone)), status


@bp.get("/bind/verify")
@customer_required
def verify():
    challenge = _challenge()
    if challenge is None:
        return _no_challenge()
    notice = _("已重新发送验证码") if request.args.get("resent") else None
    return _verify_page(challenge, notice=notice)


@bp.post("/bind/verify")
@customer_required
def confirm():
    challenge = _challenge()
    if challenge is None:
        return _no_challenge()
    form = CodeForm()
    if not form.validate():
        return _verify_page(challenge, form, status=400)
    try:
        binding = bindings.confirm_binding(g.openid, challenge.id, form.code.data, settings.of().security)
    except (bindings.TooManyAttempts, bindings.ChallengeNotFound, bindings.CardBoundElsewhere,
            bindings.CardAlreadyBound) as exc:
        session.pop(SESSION_CHALLENGE, None)
        return refusal_page(_("绑定未完成"), exc, url_for("h5.binding.form"))
    except BindingError as exc:
        return _verify_page(challenge, error=exc.message, status=status_of(exc))
    session.pop(SESSION_CHALLENGE, None)
    return redirect(url_for("h5.binding.cards", bound=binding.id))


@bp.post("/bind/resend")
@customer_required
def resend():
    challenge = _challenge()
    if challenge is None:
        return _no_challenge()
    if not ResendForm().validate():
        return _verify_page(challenge, error=_("页面已过期，请刷新后重试。"), status=400)
    try:
        bindings.resend_code(g.openid, challenge.id, settings.of().brand, settings.of().security)
    except bindings.TooManySends as exc:
        session.pop(SESSION_CHALLENGE, None)
        return refusal_page(_("绑定未完成"), exc, url_for("h5.binding.form"))
    except BindingError as exc:
        return _verify_page(challenge, error=exc.message, status=status_of(exc))
    return redirect(url_for("h5.binding.verify", resent=1))


# -- my cards, unbind ------------------------------------------------------------------------------
def _not_found():
    return error_page(_("银行卡不存在"), _("未找到该绑定银行卡，可能已经解绑。"), 404, url_for("h5.binding.cards"))


@bp.get("/cards")
@customer_required
def cards():
    just_bound = binding_for(g.openid, request.args.get("bound")) if request.args.get("bound") else None
    notice = None
    if just_bound is not None:
        notice = _("绑定成功：%(card)s", card=just_bound.card_mask)
    elif request.args.get("unbound"):
        notice = _("已解除绑定")
    return render_template("h5/bind/cards.html", bindings=active_bindings(g.openid), notice=notice,
                           customer=mask_openid(g.openid))


@bp.get("/cards/unbind")
@customer_required
def unbind_confirm():
    binding = binding_for(g.openid, request.args.get("binding_id"))
    if binding is None:
        return _not_found()
    return render_template("h5/bind/unbind.html", binding=binding, form=UnbindForm(binding_id=str(binding.id)))


@bp.post("/cards/unbind")
@customer_required
def unbind():
    form = UnbindForm()
    if not form.validate():
        return _not_found()
    if bindings.unbind(g.openid, form.binding_id.data) is None:
        return _not_found()
    return redirect(url_for("h5.binding.cards", unbound=1))
