"""The application factory."""

import logging
import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import alerts, h5, language, web_security, wechat
from .admin import panel as admin_panel
from .config import load_config
from .extensions import csrf, db, login_manager, migrate
from .logging_setup import configure_logging

# Each module exposes `register(router)`; later domains (banking, alerts, products) add theirs here.
WECHAT_HANDLER_MODULES = [
    f"{__package__}.wechat.handlers.welcome",
    f"{__package__}.wechat.handlers.help",
    f"{__package__}.wechat.handlers.branches",
    f"{__package__}.wechat.handlers.contact",
    f"{__package__}.wechat.handlers.fallback",
    f"{__package__}.wechat.handlers.balance",  # 余额 / BALANCE and 绑定
    f"{__package__}.wechat.handlers.transfer",  # 转账 / 汇款: the H5 link
    f"{__package__}.wechat.handlers.alerts",  # 提醒 / 动账提醒: the settings link
    f"{__package__}.wechat.handlers.products",  # 理财 / PRODUCTS: news reply of the products on sale
    f"{__package__}.replies.handlers",  # staff-edited keyword replies: after every built-in keyword
    f"{__package__}.wechat.handlers.coming_soon",  # keep last: answers menu keys no feature has claimed
]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. Without `test_config` the environment (and ./.env) is the configuration."""
    if test_config is None:
        load_dotenv(Path(os.getcwd()) / ".env", override=False)
        settings = load_config()
    else:
        settings = load_config({**os.environ, **{k: str(v) for k, v in test_config.items()}})
        settings.update({k: v for k, v in test_config.items() if k not in settings})
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    if proxies := app.config["TRUSTED_PROXIES"]:  # behind nginx: the client's address and scheme as they saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    configure_logging(app.config["LOG_LEVEL"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    language.init_app(app)  # Flask-Babel: zh_CN by default, English on request (language.py)
    web_security.init_app(app)  # cookie flags, security headers, no caching of pages
    _register_models()

    from .cli import register_cli
    from .health import bp as health_bp

    app.register_blueprint(health_bp)
    wechat.init_app(app, WECHAT_HANDLER_MODULES)
    csrf.exempt(wechat.bp)  # WeChat signs its pushes; it cannot carry a CSRF token
    h5.init_app(app)
    if app.config["ADMIN_PANEL_ENABLED"]:  # a public instance may leave /admin to an internal one
        admin_panel.init_app(app)  # /admin: staff login, dashboard and the Flask-Admin views
    alerts.init_app(app, csrf)
    register_cli(app)
    logging.getLogger(__name__).debug("app created for %s", app.config["BANK_NAME_EN"])
    return app


def _engine_options(url: str) -> dict:
    if url.startswith("postgresql"):
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    return {}


def _register_models() -> None:
    """Import every model module so metadata (and Alembic autogenerate) sees all tables."""
    from .admin import audit_models as _admin_audit  # noqa: F401
    from .admin import models as _admin  # noqa: F401
    from .alerts import models as _alerts  # noqa: F401
    from .banking import models as _banking  # noqa: F401
    from .banking.ledger import models as _ledger  # noqa: F401
    from .banking.transfers import models as _transfers  # noqa: F401
    from .products import models as _products  # noqa: F401
    from .pushes import models as _pushes  # noqa: F401
    from .replies import models as _replies  # noqa: F401
    from .wechat import menu_models as _menu  # noqa: F401
    from .wechat import models as _wechat  # noqa: F401


@login_manager.user_loader
def _load_staff(user_id: str):
    from .admin.models import StaffUser

    return db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: WAL so several gunicorn workers can read while one writes; wait, don't fail, on locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
