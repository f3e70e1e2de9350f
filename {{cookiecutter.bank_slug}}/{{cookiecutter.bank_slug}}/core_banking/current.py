"""`get_core()`: the configured CoreBanking adapter of the current app (CORE_BANKING_ADAPTER).

* `ledger` (default): the built-in double-entry ledger in this service's database;
* `http`: the bank's own core or ESB over HTTP (http/client.py, http/core_api.openapi.yaml).
"""

from flask import Flask, current_app

from ..extensions import db
from .port import CoreBanking

ADAPTERS = ("ledger", "http")
EXTENSION_KEY = "core_banking"


def build_core(app: Flask) -> CoreBanking:
    adapter = app.config.get("CORE_BANKING_ADAPTER", "ledger")
    if adapter == "http":
        from .http.client import HttpCoreBanking  # imported only when configured

        return HttpCoreBanking(app.config.get("CORE_BANKING_URL", ""), app.config.get("CORE_API_SECRET", ""),
                               timeout=app.config.get("CORE_BANKING_TIMEOUT_SECONDS", 5))
    if adapter == "ledger":
        from .ledger.core import LedgerCore

        with app.app_context():
            return LedgerCore(db.engine)
    raise ValueError(f"unknown CORE_BANKING_ADAPTER {adapter!r}")


def get_core() -> CoreBanking:
    """The adapter for the current app, built once per app."""
    app = current_app._get_current_object()
    core = app.extensions.get(EXTENSION_KEY)
    if core is None:
        core = app.extensions[EXTENSION_KEY] = build_core(app)
    return core
