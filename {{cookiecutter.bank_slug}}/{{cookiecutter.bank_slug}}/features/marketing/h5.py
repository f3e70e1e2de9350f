"""/h5/marketing/consent: the customer gives or revokes consent to marketing contact by their branch.
Identified through 网页授权 (customer_required); CSRF-checked; submitting the same choice twice changes nothing."""

from flask import Blueprint, g, render_template, request

from ...extensions import db
from ...h5.errors import error_page
from ...h5.oauth import customer_required
from ...shared.i18n import _
from .interest import consent_of, set_consent

bp = Blueprint("marketing", __name__, url_prefix="/marketing")

CHOICES = {"grant": True, "revoke": False}


def _page(saved: bool = False, status: int = 200):
    return render_template("h5/marketing/consent.html", consent=consent_of(g.openid), saved=saved), status


@bp.get("/consent")
@customer_required
def consent():
    return _page()


@bp.post("/consent")
@customer_required
def save_consent():
    choice = request.form.get("choice")
    if choice not in CHOICES:
        return error_page(_("营销联系授权"), _("请选择同意或撤回。"), 400)
    set_consent(g.openid, CHOICES[choice])
    db.session.commit()
    return _page(saved=True)
