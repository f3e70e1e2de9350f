"""The H5 pages customers open inside WeChat: the service hall, and placeholders for pages to come."""

from flask import Blueprint, g, render_template

from ..masking import mask_openid
from . import binding, oauth, transfer
from .oauth import customer_required
from .services import SERVICES, find_service

bp = Blueprint("h5", __name__, url_prefix="/h5")
bp.register_blueprint(oauth.bp)
bp.register_blueprint(binding.bp)  # /h5/bind, /h5/cards
bp.register_blueprint(transfer.bp)  # /h5/transfer


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
        return render_template("h5/error.html", title="页面不存在", reason="您访问的页面不存在。",
                               retry="/h5/"), 404
    return render_template("h5/coming_soon.html", service=service, customer=mask_openid(g.openid))
