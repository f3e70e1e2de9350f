"""Mounting the admin panel at /admin: login, session rules and the Flask-Admin views.

A new `Admin` (and new view objects) is built for every app the factory creates. Every installed feature's
admin modules (`Feature.admin`) add their pages with `add_views(admin)`, in feature order.
"""

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_wtf.csrf import CSRFError

from ..extensions import login_manager
from ..feature import admin_view_modules
from ..shared.i18n import _l
from ..shared.timeutil import local_time
from ..web import errors
from . import auth
from .dashboard import DashboardView


def init_app(app: Flask) -> None:
    app.config.setdefault("ADMIN_SESSION_MINUTES", 30)
    app.config.setdefault("FLASK_ADMIN_SWATCH", "default")
    app.register_blueprint(auth.bp)
    app.before_request(auth.end_session_when_idle)
    app.register_error_handler(CSRFError, auth.csrf_refused)
    errors.family(app, auth.ADMIN_PREFIX, auth.refused_page)  # 403 / 404 under /admin as a staff page
    app.add_template_filter(_admin_time, "admin_time")
    login_manager.login_view = "admin_auth.login"
    login_manager.login_message = None  # the login page says nothing about why; no flash piles up
    admin = Admin(
        app,
        name=_l("%(bank)s管理后台", bank=app.config.get("BANK_SHORT_NAME") or ""),
        url="/admin",
        endpoint="admin",
        index_view=DashboardView(name=_l("首页"), url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="admin/staff_layout.html", fluid=True),
    )
    for module in admin_view_modules(app):
        module.add_views(admin)
    app.extensions["staff_admin"] = admin


def _admin_time(value) -> str:
    """A naive UTC datetime in the bank's time zone, to the second."""
    return local_time(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""
