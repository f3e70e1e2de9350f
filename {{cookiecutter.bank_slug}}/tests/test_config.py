"""Configuration errors are caught at start-up and name the variable."""

import pytest

from {{ cookiecutter.bank_slug }}.settings import ConfigError, database_url, load_config

pytestmark = pytest.mark.smoke

BASE = {
    "SECRET_KEY": "k" * 40,
    "DATABASE_URL": "sqlite:///x.db",
    "WECHAT_APP_ID": "wx1234567890abcdef",
    "WECHAT_TOKEN": "abc123",
    "WECHAT_ENCODING_AES_KEY": "a" * 43,
    "WECHAT_ENCRYPT_MODE": "safe",  # never the baked default: banks bake with any mode
}


def test_baked_defaults_fill_branding_and_limits():
    config = load_config(BASE)
    assert config["BANK_NAME"] and config["BRAND_COLOR"].startswith("#")
    assert config["SINGLE_TRANSFER_LIMIT_FEN"] % 100 == 0
    assert config["SINGLE_TRANSFER_LIMIT_FEN"] <= config["DAILY_TRANSFER_LIMIT_FEN"]


def test_environment_overrides_branding_at_run_time():
    config = load_config({**BASE, "BANK_NAME": "另一家银行", "SINGLE_TRANSFER_LIMIT_YUAN": "100",
                          "DAILY_TRANSFER_LIMIT_YUAN": "300"})
    assert config["BANK_NAME"] == "另一家银行"
    assert config["SINGLE_TRANSFER_LIMIT_FEN"] == 10000 and config["DAILY_TRANSFER_LIMIT_FEN"] == 30000


@pytest.mark.parametrize("name,value,fragment", [
    ("SECRET_KEY", "", "SECRET_KEY"),
    ("WECHAT_TOKEN", "", "WECHAT_TOKEN"),
    ("WECHAT_TOKEN", "has space", "WECHAT_TOKEN"),
    ("WECHAT_ENCODING_AES_KEY", "short", "WECHAT_ENCODING_AES_KEY"),
    ("WECHAT_ENCRYPT_MODE", "aes", "WECHAT_ENCRYPT_MODE"),
    ("WECHAT_TIMESTAMP_WINDOW_SECONDS", "soon", "WECHAT_TIMESTAMP_WINDOW_SECONDS"),
    ("WECHAT_TIMESTAMP_WINDOW_SECONDS", "0", "WECHAT_TIMESTAMP_WINDOW_SECONDS"),
    ("TIMEZONE", "Mars/Base", "TIMEZONE"),
    ("SINGLE_TRANSFER_LIMIT_YUAN", "999999", "SINGLE_TRANSFER_LIMIT_YUAN"),
    ("WECHAT_REPLY_BUDGET_SECONDS", "5", "WECHAT_REPLY_BUDGET_SECONDS"),
    ("WECHAT_REPLY_BUDGET_SECONDS", "fast", "WECHAT_REPLY_BUDGET_SECONDS"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT"),
    ("ALERT_RETENTION_DAYS", "0", "ALERT_RETENTION_DAYS"),
    ("ALERT_MAX_AGE_MINUTES", str(180 * 24 * 60), "ALERT_RETENTION_DAYS"),  # not shorter than the retention
])
def test_bad_values_name_the_variable(name, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config({**BASE, name: value})


def test_plain_mode_needs_no_aes_key():
    config = load_config({**BASE, "WECHAT_ENCRYPT_MODE": "plain", "WECHAT_ENCODING_AES_KEY": ""})
    assert config["WECHAT_ENCRYPT_MODE"] == "plain"


@pytest.mark.parametrize("given,expected", [
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///a.db", "sqlite:///a.db"),
])
def test_database_url_spellings(given, expected):
    assert database_url({"DATABASE_URL": given}) == expected
