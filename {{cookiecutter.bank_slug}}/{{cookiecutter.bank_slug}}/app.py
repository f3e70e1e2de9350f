"""The application factory: extensions, settings, the shells (WeChat endpoint, H5, admin panel), then
every feature in FEATURES, in order (feature.py). Adding a feature is adding it to FEATURES."""

import logging
import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import db as database
from . import feature, h5, ops, outbox, wechat
from .extensions import csrf, db, login_manager
from .features import (
    alerts,
    balance,
    binding,
    branches,
    complaints,
    conversations,
    credit_cards,
    info,
    knowledge,
    marketing,
    menu,
    privacy,
    products,
    pushes,
    qrcodes,
    replies,
    requests,
    staff,
    transfers,
)
from .settings import install as install_settings
from .settings import load_config
from .shared.logs import configure_logging
from .shared.money import register_filters
from .web import errors, health, language, security

# Chat keywords, H5 pages, admin views, CLI commands and demo data are installed in this order.
FEATURES = [
    info.feature,
    binding.feature,
    privacy.feature,
    balance.feature,
    transfers.feature,
    credit_cards.feature,
    alerts.feature,
    products.feature,
    requests.feature,
    pushes.feature,
    replies.feature,
    knowledge.feature,
    menu.feature,
    staff.feature,
    branches.feature,
    qrcodes.feature,
    complaints.feature,
    conversations.feature,
    marketing.feature,
]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None, features: list | None = None, *, commands: bool = True) -> Flask:
    """Build the app. Without `test_config` the environment (and ./.env) is the configuration; `features`
    (default FEATURES) lets an instance, or a test, install fewer. `commands=False` (wsgi.py, what gunicorn
    serves) leaves out the `flask` commands and what only they import (Alembic, the dispatcher's aiohttp, the
    sandbox): a web worker answers requests and stays small."""
    if test_config is None:
        load_dotenv(Path(os.getcwd()) / ".env", override=False)
        settings = load_config()
    else:
        settings = load_config({**os.environ, **{k: str(v) for k, v in test_config.items()}})
        settings.update({k: v for k, v in test_config.items() if k not in settings})
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    sections = install_settings(app)  # the frozen sections, checked now: app.extensions["settings"]
    if proxies := sections.web.trusted_proxies:  # behind nginx: the client's address and scheme as they saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    configure_logging(sections.web.log_level, sections.web.log_format)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    if commands:
        from flask_migrate import Migrate  # `flask db ...` and init-db

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    language.init_app(app)  # Flask-Babel: zh_CN by default, English on request (web/language.py)
    security.init_app(app)  # cookie flags, security headers, no caching of pages
    errors.install(app)  # 403/404/405 answered by the family of the URL (H5, admin) or Flask's default
    register_filters(app)  # yuan, signed_yuan, percent for every template (shared/money.py)
    _import_shell_models()
    app.register_blueprint(health.bp)
    if commands:
        from . import cli

        cli.register_cli(app)
        outbox.install(app)  # `flask alerts ...`: the dispatcher of every feature's notices
    ops.install(app)  # /readyz, /metrics and the request metrics

    router = wechat.init_app(app)  # /wechat; csrf-exempt: WeChat signs its pushes
    outbox.register_events(router)  # TEMPLATESENDJOBFINISH: WeChat's delivery report of a template message
    csrf.exempt(wechat.bp)
    h5_bp = h5.make_blueprint()
    feature.install_all(app, FEATURES if features is None else features, router=router, h5_bp=h5_bp, csrf=csrf,
                        commands=commands)
    h5.init_app(app, h5_bp)
    if sections.admin.enabled:  # a public instance may leave /admin to an internal one
        from .admin import panel

        panel.init_app(app)  # /admin: staff login, dashboard and the features' Flask-Admin views
    logging.getLogger(__name__).debug("app created for %s", sections.brand.name_en)
    return app


def _import_shell_models() -> None:
    """The tables that are not a feature's: the simulated core's, WeChat's, the staff and audit log's."""
    from .admin import audit_models as _audit  # noqa: F401
    from .admin import models as _staff  # noqa: F401
    from .core_banking import models as _core  # noqa: F401
    from .core_banking.ledger import models as _ledger  # noqa: F401
    from .outbox import models as _outbox  # noqa: F401
    from .wechat import models as _wechat  # noqa: F401
