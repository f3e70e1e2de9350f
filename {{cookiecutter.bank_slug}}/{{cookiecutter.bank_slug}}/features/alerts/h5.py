"""/h5/alerts: the customer's alert settings; /h5/alerts/<id>: one transaction, opened from the
template message's link. Only the customer the alert was sent to (or whose bound card it is) sees it."""

from flask import Blueprint, current_app, g, render_template, request, url_for
from sqlalchemy import select

from ...extensions import db
from ...h5.errors import error_page
from ...h5.oauth import customer_required
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid, mask_phone, scrub
from ...shared.money import yuan_text
from ...shared.numbers import MAX_ROW_ID
from ...shared.timeutil import local_time
from ..binding.service import CardBinding, active_bindings, binding_for
from .forms import AlertSettingsForm
from .message import kind_label
from .models import Alert
from .preferences import Rules, channel_choices, choose_channel, chosen_channels, load_rules, save_rules

bp = Blueprint("alerts", __name__)




def _error(title: str, reason: str, status: int, retry: str | None = None):
    return error_page(title, reason, status, retry or url_for("h5.alerts.settings"))


CHANNEL_LABELS = {"wechat": _l("微信"), "app": _l("手机银行 App"), "sms": _l("短信")}


def _page(form: AlertSettingsForm, saved: bool = False, status: int = 200):
    bindings = active_bindings(g.openid)
    phones = sorted({mask_phone(b.sms_phone) for b in bindings if b.sms_phone})
    chosen = chosen_channels(g.openid, [b.account_id for b in bindings])
    choices = {b.id: channel_choices(current_app.config, b) for b in bindings}
    return render_template("h5/alerts/settings.html", form=form, bindings=bindings, phones=phones, saved=saved,
                           customer=mask_openid(g.openid), chosen=chosen, choices=choices,
                           channel_labels=CHANNEL_LABELS), status


@bp.get("/alerts")
@customer_required
def settings():
    rules = load_rules(g.openid, current_app.config)
    form = AlertSettingsForm(formdata=None, enabled=rules.enabled, sms_fallback=rules.sms_fallback,
                             min_amount=yuan_text(rules.min_amount_fen))
    return _page(form)


@bp.post("/alerts")
@customer_required
def save():
    form = AlertSettingsForm()
    if not form.validate():
        return _page(form, status=400)
    save_rules(g.openid, Rules(bool(form.enabled.data), form.min_amount_fen, bool(form.sms_fallback.data)))
    return _page(form, saved=True)


@bp.post("/alerts/channel")
@customer_required
def channel():
    """The one channel a card's alerts go by: WeChat, the app or SMS."""
    binding = binding_for(g.openid, request.form.get("binding_id"))
    if binding is None:
        return _error(_("提醒渠道"), _("未找到这张银行卡，请刷新页面后重试。"), 404)
    wanted = request.form.get("channel")
    if wanted not in channel_choices(current_app.config, binding):
        return _error(_("提醒渠道"), _("请选择微信、手机银行 App 或短信（短信须绑卡时验证过手机号）。"), 400)
    choose_channel(g.openid, binding.account_id, wanted)
    db.session.commit()
    rules = load_rules(g.openid, current_app.config)
    form = AlertSettingsForm(formdata=None, enabled=rules.enabled, sms_fallback=rules.sms_fallback,
                             min_amount=yuan_text(rules.min_amount_fen))
    return _page(form, saved=True)


@bp.get("/alerts/<int:alert_id>")
@customer_required
def detail(alert_id: int):
    """An alert is shown only to a follower whose binding of the account is active now and was made before
    the alert was written: an unbound phone (by the customer or by staff) reads nothing of the account, not
    its earlier alerts nor, ids being sequential, its later ones."""
    alert = db.session.get(Alert, alert_id) if 0 < alert_id <= MAX_ROW_ID else None
    binding = None
    if alert is not None:
        binding = db.session.execute(select(CardBinding).where(
            CardBinding.account_id == alert.account_id, CardBinding.openid == g.openid,
            CardBinding.status == "active", CardBinding.bound_at <= alert.created_at)
            .order_by(CardBinding.id.desc())).scalars().first()
    if alert is None or binding is None:
        return _error(_("交易不存在"), _("未找到这笔交易，或它不属于您绑定的银行卡。"), 404, request.path)
    return render_template("h5/alerts/detail.html", alert=alert, memo=scrub(alert.memo or ""),
                           card_mask=binding.card_mask,
                           label=kind_label(alert.kind, alert.amount_fen),
                           occurred=local_time(alert.occurred_at), customer=mask_openid(g.openid))
