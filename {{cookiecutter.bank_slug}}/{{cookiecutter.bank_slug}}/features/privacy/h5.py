"""/h5/privacy: the privacy notice, the separate consent that binding needs (and its withdrawal), 我的信息 (what
the service keeps, and a copy to download) and 注销微信银行服务 (unbind everything, erase what may be erased).

Every page but the notice is for the customer identified through OAuth2 (`g.openid`); rules live in consent.py
and service.py; refusals are pages with the reason and a way on."""

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for

from ...h5.errors import error_page, status_of
from ...h5.oauth import SESSION_CUSTOMER, customer_required, safe_next
from ...shared.i18n import _
from ...shared.masking import mask_openid
from ...shared.timeutil import local_time
from . import consent as consents
from . import service
from .forms import ConfirmForm, ConsentForm

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def _notice_context() -> dict:
    return {"version": consents.notice_version(), "paragraphs": consents.notice_paragraphs()}


@bp.get("")
def notice():
    """The notice itself, readable before anyone is identified (a link from the follow welcome or the menu)."""
    return render_template("h5/privacy/notice.html", **_notice_context())


def _when(value) -> str:
    return local_time(value).strftime("%Y-%m-%d %H:%M")


def _consent_page(form: ConsentForm, error: str | None = None, status: int = 200):
    in_force = consents.consent_in_force(g.openid)
    return render_template("h5/privacy/consent.html", form=form, error=error, consent=in_force,
                           current=in_force is not None and in_force.notice_version == consents.notice_version(),
                           granted=_when(in_force.granted_at) if in_force else "",
                           withdraw_form=ConfirmForm(), customer=mask_openid(g.openid),
                           **_notice_context()), status


@bp.get("/consent")
@customer_required
def consent_form():
    form = ConsentForm(version=consents.notice_version(), next=safe_next(request.args.get("next") or "/h5/bind"))
    return _consent_page(form)


def _ticked() -> bool:
    """The checkbox's own values only: a crafted "agree=no" is not a consent."""
    return (request.form.get("agree") or "").strip().lower() in ("y", "yes", "on", "1", "true")


@bp.post("/consent")
@customer_required
def consent_submit():
    form = ConsentForm()
    if not form.validate():  # the CSRF token only
        return _consent_page(ConsentForm(version=consents.notice_version(), next=safe_next(form.next.data)),
                             _("页面已过期，请刷新后重试。"), 400)
    try:
        consents.give_consent(g.openid, form.version.data, _ticked())
    except consents.NoticeChanged as exc:
        fresh = ConsentForm(version=consents.notice_version(), next=safe_next(form.next.data))
        return _consent_page(fresh, exc.message, status_of(exc))
    except consents.ConsentError as exc:
        return _consent_page(form, exc.message, status_of(exc))
    return redirect(safe_next(form.next.data))


@bp.get("/withdraw")
@customer_required
def withdraw_confirm():
    from ..binding.service import active_bindings

    return render_template("h5/privacy/withdraw.html", form=ConfirmForm(), cards=active_bindings(g.openid),
                           consent=consents.consent_in_force(g.openid))


@bp.post("/withdraw")
@customer_required
def withdraw():
    if not ConfirmForm().validate():
        return error_page(_("撤回同意"), _("页面已过期，请刷新后重试。"), 400, url_for("h5.privacy.withdraw_confirm"))
    unbound = consents.withdraw_consent(g.openid)
    return render_template("h5/privacy/done.html", title=_("已撤回同意"),
                           lines=[_("您已撤回对绑卡所需个人信息的单独同意。"),
                                  _("已为您解除绑定 %(count)s 张银行卡。", count=unbound),
                                  _("如需再次使用绑卡相关服务，可重新阅读隐私政策并同意。")])


# -- 我的信息 ----------------------------------------------------------------------------------------------
@bp.get("/mine")
@customer_required
def mine():
    return render_template("h5/privacy/mine.html", sections=service.records(g.openid),
                           consent=consents.consent_in_force(g.openid), customer=mask_openid(g.openid),
                           version=consents.notice_version())


@bp.get("/mine/download")
@customer_required
def download():
    headers = {"Content-Disposition": 'attachment; filename="my-information.json"'}
    return Response(service.export(g.openid), mimetype="application/json", headers=headers)


# -- 注销微信银行服务 ------------------------------------------------------------------------------------------
def _erase_page(error: str | None = None, status: int = 200):
    sections = service.records(g.openid)
    return render_template("h5/privacy/erase.html", form=ConfirmForm(), error=error,
                           blockers=service.blockers(g.openid),
                           erased=[s for s in sections if s.action != "keep"],
                           kept=[s for s in sections if s.action == "keep"]), status


@bp.get("/erase")
@customer_required
def erase_confirm():
    return _erase_page()


@bp.post("/erase")
@customer_required
def erase():
    if not ConfirmForm().validate():
        return _erase_page(_("页面已过期，请刷新后重试。"), 400)
    try:
        outcome = service.erase(g.openid)
    except service.ErasureBlocked as exc:
        return _erase_page(exc.message, status_of(exc))
    except service.ErasureFailed as exc:
        return error_page(_("注销未完成"), exc.message, 503, url_for("h5.privacy.erase_confirm"))
    session.pop(SESSION_CUSTOMER, None)  # nothing of this customer is left to show
    return render_template("h5/privacy/done.html", title=_("已注销微信银行服务"), kept=outcome["kept"],
                           lines=[_("您的银行卡已全部解绑，本服务保存的您的其他信息已删除。"),
                                  _("您在本行的账户不受影响；如需销户，请携带身份证件到网点办理。"),
                                  _("以下信息依照法律法规和审计要求保留，期满后自动删除：") if outcome["kept"] else
                                  _("本服务没有保留您的任何信息。")])
