"""`get_core()`: the configured CoreBanking adapter of the current app (CORE_BANKING_ADAPTER).

* `ledger` (default): the built-in double-entry ledger in this service's database;
* `http`: the bank's own core or ESB over HTTP (http/client.py, http/core_api.openapi.yaml).
"""

from flask import Flask, current_app

from .. import settings
from ..extensions import db
from ..settings.sections import Core
from .port import CoreBanking

ADAPTERS = ("ledger", "http")
EXTENSION_KEY = "core_banking"


def build_core(core: Core, app: Flask) -> CoreBanking:
    """The adapter the Core section names; the ledger works on `app`'s database."""
    if core.adapter == "http":
        from .http.client import HttpCoreBanking  # imported only when configured

        return HttpCoreBanking(core.url, core.api_secret, timeout=core.timeout_seconds)
    if core.adapter == "ledger":
        from .ledger.core import LedgerCore

        with app.app_context():
            return LedgerCore(db.engine)
    raise ValueError(f"unknown CORE_BANKING_ADAPTER {core.adapter!r}")


def get_core() -> CoreBanking:
    """The adapter for the current app, built once per app."""
    app = current_app._get_current_object()
    core = app.extensions.get(EXTENSION_KEY)
    if core is None:
        core = app.extensions[EXTENSION_KEY] = build_core(settings.of(app).core, app)
    return core
