"""`get_core()`: the configured CoreBanking adapter of the current app (CORE_BANKING_ADAPTER).

* `ledger` (default): the built-in double-entry ledger in this service's database;
* `http`: the bank's own core or ESB over HTTP (http/client.py, http/core_api.openapi.yaml).
"""

import time

from flask import Flask, current_app
from prometheus_client import Counter, Histogram

from .. import settings
from ..extensions import db
from ..settings.sections import Core
from .port import CoreBanking, CoreBankingError, CoreUnavailable

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


CALL_SECONDS = Histogram("wechat_bank_core_call_duration_seconds", "Calls of the core port, by operation.",
                         ["operation"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10))
CALL_ERRORS = Counter("wechat_bank_core_call_errors_total",
                      "Core port calls that failed: unavailable (the core could not answer) or refused (a business "
                      "refusal, e.g. insufficient_funds), by operation and code.", ["operation", "kind", "code"])
PORT_METHODS = ("find_account_by_card", "get_account", "verify_identity", "verify_pin", "balance",
                "recent_transactions", "transfer", "release_transfer", "revoke_transfer", "credit_card",
                "credit_statements", "repay_credit_card", "ping")


class MeteredCore:
    """Any CoreBanking adapter, timed and counted per port method for /metrics (the wrapper get_core hands out)."""

    def __init__(self, core: CoreBanking) -> None:
        self.adapter = core

    def __getattr__(self, name: str):
        attribute = getattr(self.adapter, name)
        if name not in PORT_METHODS:
            return attribute

        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            except CoreUnavailable as exc:
                CALL_ERRORS.labels(operation=name, kind="unavailable", code=exc.code).inc()
                raise
            except CoreBankingError as exc:
                CALL_ERRORS.labels(operation=name, kind="refused", code=exc.code).inc()
                raise
            finally:
                CALL_SECONDS.labels(operation=name).observe(time.perf_counter() - started)

        return call

    def __repr__(self) -> str:
        return f"<MeteredCore {self.adapter!r}>"


def get_core() -> CoreBanking:
    """The adapter for the current app, built once per app, metered (MeteredCore)."""
    app = current_app._get_current_object()
    core = app.extensions.get(EXTENSION_KEY)
    if core is None:
        core = app.extensions[EXTENSION_KEY] = MeteredCore(build_core(settings.of(app).core, app))
    return core
