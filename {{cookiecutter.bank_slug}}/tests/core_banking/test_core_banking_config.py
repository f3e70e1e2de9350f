"""CORE_BANKING_URL and CORE_API_SECRET are required, and checked at start-up, only for the HTTP adapter."""

import pytest

from {{ cookiecutter.bank_slug }}.settings import ConfigError, load_config

from ..test_config import BASE

HTTP = {**BASE, "CORE_BANKING_ADAPTER": "http", "CORE_API_SECRET": "s" * 64}


def test_the_ledger_needs_no_core_url():
    config = load_config({**BASE, "CORE_BANKING_ADAPTER": "ledger", "CORE_BANKING_URL": "", "CORE_API_SECRET": ""})
    assert config["CORE_BANKING_URL"] == "" and config["CORE_BANKING_TIMEOUT_SECONDS"] == 5.0


def test_the_http_adapter_gets_url_and_timeout():
    config = load_config({**HTTP, "CORE_BANKING_URL": "https://esb.bank.internal/core/v1/",
                          "CORE_BANKING_TIMEOUT_SECONDS": "2.5"})
    assert config["CORE_BANKING_URL"] == "https://esb.bank.internal/core/v1"
    assert config["CORE_BANKING_TIMEOUT_SECONDS"] == 2.5


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"CORE_BANKING_URL": ""}, "CORE_BANKING_URL is not set"),
    ({"CORE_BANKING_URL": "esb.bank.internal"}, "CORE_BANKING_URL must be"),
    ({"CORE_BANKING_URL": "ftp://esb.bank.internal"}, "CORE_BANKING_URL must be"),
    ({"CORE_BANKING_URL": "https://esb.bank.internal/v1?token=abc"}, "CORE_BANKING_URL must be"),
    ({"CORE_BANKING_URL": "https://[::1"}, "CORE_BANKING_URL must be"),
    ({"CORE_BANKING_URL": "https://esb.bank.internal", "CORE_API_SECRET": "change-me"}, "CORE_API_SECRET"),
    ({"CORE_BANKING_URL": "https://esb.bank.internal", "CORE_API_SECRET": "short"}, "CORE_API_SECRET"),
    ({"CORE_BANKING_URL": "https://esb.bank.internal", "CORE_BANKING_TIMEOUT_SECONDS": "0"},
     "CORE_BANKING_TIMEOUT_SECONDS"),
])
def test_bad_http_settings_stop_start_up(changes, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config({**HTTP, **changes})


def test_the_url_is_never_repeated_in_the_error():
    with pytest.raises(ConfigError) as caught:
        load_config({**HTTP, "CORE_BANKING_URL": "https://core:hunter2hunter2@esb.bank.internal/v1?x=1"})
    assert "hunter2" not in str(caught.value)
