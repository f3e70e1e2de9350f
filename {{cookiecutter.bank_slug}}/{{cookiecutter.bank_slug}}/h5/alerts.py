"""/h5/alerts: the customer's alert settings; /h5/alerts/<id>: one transaction, opened from the
template message's link. Only the customer the alert was sent to (or whose bound card it is) sees it."""

from flask import Blueprint, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from ..alerts.message import kind_label
from ..alerts.models import Alert
from ..alerts.preferences import Rules, load_rules, save_rules
from ..banking.bindings import active_bindings
from ..banking.models import CardBinding
from ..extensions import db
from ..i18n import _
from ..masking import mask_openid, mask_phone
from ..timeutil import local_time
from .alert_forms import AlertSettingsForm
from .oauth import customer_required

bp = Blueprint("alerts", __name__)


def _error(title: str, reason: str, status: int, retry: str = "/h5/alerts"):
    return render_template("h5/error.html", title=title, reason=reason, retry=retry), status


@bp.errorhandler(CSRFError)
def _csrf_failed(error):
    return _error(_("请求已失效"), _("页面安全校验未通过（缺少或过期的校验码），本次请求未处理，请返回重新提交。"), 400)


def _page(form: AlertSettingsForm, saved: bool = False, status: int = 200):
    bindings = active_bindings(g.openid)
    phones = sorted({mask_phone(b.sms_phone) for b in bindings if b.sms_phone})
    return render_template("h5/alerts/settings.html", form=form, bindings=bindings, phones=phones, saved=saved,
                           customer=mask_openid(g.openid)), status


@bp.get("/alerts")
@customer_required
def settings():
    rules = load_rules(g.openid, current_app.config)
    form = AlertSettingsForm(formdata=None, enabled=rules.enabled, sms_fallback=rules.sms_fallback,
                             min_amount=f"{rules.min_amount_fen // 100}.{rules.min_amount_fen % 100:02d}")
    return _page(form)


@bp.post("/alerts")
@customer_required
def save():
    form = AlertSettingsForm()
    if not form.validate():
        return _page(form, status=400)
    save_rules(g.openid, Rules(bool(form.enabled.data), form.min_amount_fen, bool(form.sms_fallback.data)))
    return _page(form, saved=True)


@bp.get("/alerts/<int:alert_id>")
@customer_required
def detail(alert_id: int):
    alert = db.session.get(Alert, alert_id)
    binding = None
    if alert is not None:
        binding = db.session.execute(select(CardBinding).where(
            CardBinding.account_id == alert.account_id, CardBinding.openid == g.openid)
            .order_by(CardBinding.id.desc())).scalars().first()
    if alert is None or (alert.openid != g.openid and binding is None):
        return _error(_("交易不存在"), _("未找到这笔交易，或它不属于您绑定的银行卡。"), 404, request.path)
    return render_template("h5/alerts/detail.html", alert=alert, card_mask=binding.card_mask if binding else "",
                           label=kind_label(alert.kind, alert.amount_fen),
                           occurred=local_time(alert.occurred_at), customer=mask_openid(g.openid))
