"""The H5 shell: the parent blueprint (/h5) that the features' pages mount under, OAuth identity, the hall."""

from flask import Blueprint, current_app, g, render_template

from ..feature import hall_tiles
from ..shared.masking import mask_openid
from . import oauth
from .oauth import customer_required


def make_blueprint() -> Blueprint:
    """A new /h5 parent for each app: the features register their page blueprints on it before it is mounted."""
    bp = Blueprint("h5", __name__, url_prefix="/h5")
    bp.register_blueprint(oauth.bp)
    bp.add_url_rule("/", "hall", hall)
    return bp


@customer_required
def hall():
    return render_template("h5/hall.html", services=hall_tiles(current_app), customer=mask_openid(g.openid))
