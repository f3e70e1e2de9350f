"""A live mock WeChat API for the dispatcher tests, and the app pointed at it."""

from dataclasses import replace

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.mock_api.faults import Faults

from ...ledger_helpers import seed
from ...live_sandbox import live_sandbox

# ALERT_MIN_AMOUNT_YUAN is a bake answer: the tests set their own, never relying on the baked default.
FAST_RETRIES = {"ALERT_MIN_AMOUNT_YUAN": "0", "ALERT_RETRY_BASE_SECONDS": 0.01, "ALERT_RETRY_MAX_SECONDS": 0.05,
                "ALERT_SEND_TIMEOUT_SECONDS": 0.5, "ALERT_CONCURRENT_SENDS": 8, "ALERT_QUOTA_PAUSE_SECONDS": 30,
                "ALERT_MAX_ATTEMPTS": 30}


@pytest.fixture
def sandbox(make_app):
    app = make_app(**FAST_RETRIES)
    with live_sandbox(app) as live:
        live.state.settings = replace(live.state.settings, timeout_seconds=1.0)
        yield live


@pytest.fixture
def sandbox_accounts(sandbox):
    return seed(sandbox.service)


def set_faults(live, **faults) -> None:
    live.state.faults = Faults.from_json({"seed": 11, **faults})
