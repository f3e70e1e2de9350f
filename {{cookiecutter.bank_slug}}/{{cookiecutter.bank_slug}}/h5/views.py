"""The H5 pages customers open inside WeChat: the service hall, and placeholders for pages to come."""

from flask import Blueprint, g, render_template

from ..i18n import _
from ..masking import mask_openid
from . import alerts, balance, binding, oauth, products, transfer
from .oauth import customer_required
from .services import SERVICES, find_service

bp = Blueprint("h5", __name__, url_prefix="/h5")
bp.register_blueprint(oauth.bp)
bp.register_blueprint(binding.bp)  # /h5/bind, /h5/cards
bp.register_blueprint(balance.bp)  # /h5/balance, /h5/balance?card=<binding id>
bp.register_blueprint(transfer.bp)  # /h5/transfer
bp.register_blueprint(alerts.bp)  # /h5/alerts (settings), /h5/alerts/<id> (a transaction)
bp.register_blueprint(products.bp)  # /h5/products, /h5/products/<code>: public, no OAuth


@bp.get("/")
@customer_required
def hall():
    return render_template("h5/hall.html", services=SERVICES, customer=mask_openid(g.openid))


@bp.get("/<key>")
@customer_required
def coming_soon(key: str):
    """Services whose page a later release brings: a friendly 即将开通 instead of a 404."""
    service = find_service(key)
    if service is None or service.ready:
        return render_template("h5/error.html", title=_("页面不存在"), reason=_("您访问的页面不存在。"),
                               retry="/h5/"), 404
    return render_template("h5/coming_soon.html", service=service, customer=mask_openid(g.openid))
