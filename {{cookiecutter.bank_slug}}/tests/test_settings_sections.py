"""The frozen settings sections: built once from the app's config (overrides included), refused at start-up
when a value is wrong; and the domain errors: one stable code each, a status for every code at the H5 edge."""

import dataclasses
import importlib
import pkgutil

import pytest

import {{ cookiecutter.bank_slug }}
from {{ cookiecutter.bank_slug }} import create_app, settings
from {{ cookiecutter.bank_slug }}.h5.errors import DEFAULT_STATUS, STATUS_BY_CODE, status_of
from {{ cookiecutter.bank_slug }}.settings import ConfigError, sections
from {{ cookiecutter.bank_slug }}.shared.errors import DomainError, all_domain_errors
from {{ cookiecutter.bank_slug }}.wechat.client import api_base_url

from .conftest import make_config


def test_sections_are_frozen(app):
    current = settings.of(app)
    with pytest.raises(dataclasses.FrozenInstanceError):
        current.transfers.lock_minutes = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        current.wechat = None
    with pytest.raises(TypeError):
        current.alerts.template_fields["type"] = "thing9"  # a read-only mapping


def test_sections_are_built_from_the_overrides(make_app):
    app = make_app(SINGLE_TRANSFER_LIMIT_YUAN="300", TRANSFER_LOCK_MINUTES="7", ADMIN_SESSION_MINUTES="12",
                   CORE_BANKING_TIMEOUT_SECONDS="2.5", ALERTS_DEFAULT_ON="0", SMS_SENDER="sandbox")
    current = settings.of(app)
    assert (current.transfers.single_limit_fen, current.transfers.lock_minutes) == (30_000, 7)
    assert current.admin == sections.Admin(enabled=False, session_minutes=12)
    assert current.core.timeout_seconds == 2.5 and current.alerts.default_on is False
    assert current.brand.public_base_url == app.config["PUBLIC_BASE_URL"]
    assert api_base_url(current.wechat) == app.config["WECHAT_SANDBOX_API_URL"].rstrip("/") + "/cgi-bin/"
    with app.app_context():
        assert settings.of() is current


def test_update_rebuilds_the_sections_with_the_flat_config(app):
    settings.update(app, WECHAT_SANDBOX_API_URL="http://127.0.0.1:9")
    assert app.config["WECHAT_SANDBOX_API_URL"] == "http://127.0.0.1:9"
    assert api_base_url(settings.of(app).wechat) == "http://127.0.0.1:9/cgi-bin/"


def test_a_bad_value_is_refused_at_start_up_naming_the_variable(_migrated):
    with pytest.raises(ConfigError, match="TRANSFER_LOCK_MINUTES"):
        create_app(make_config(_migrated, TRANSFER_LOCK_MINUTES="half an hour"))


def test_the_sections_check_the_kind_of_each_value(app):
    config = dict(app.config)
    for key, bad in (("DAILY_TRANSFER_COUNT_LIMIT", "many"), ("CORE_BANKING_TIMEOUT_SECONDS", "soon"),
                     ("WECHAT_SANDBOX", "perhaps"), ("ALERT_TEMPLATE_FIELDS", "type=thing1")):
        with pytest.raises(ConfigError, match=key):
            sections.build({**config, key: bad})
    with pytest.raises(ConfigError, match="SINGLE_TRANSFER_LIMIT_YUAN"):
        sections.build({**config, "SINGLE_TRANSFER_LIMIT_FEN": config["DAILY_TRANSFER_LIMIT_FEN"] + 1})
    with pytest.raises(ConfigError, match="WECHAT_APP_ID"):
        sections.build({key: value for key, value in config.items() if key != "WECHAT_APP_ID"})


def _import_every_module() -> None:
    package = {{ cookiecutter.bank_slug }}
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".sandbox." in module.name or module.name.endswith(".wsgi"):
            continue  # the mock WeChat API and the WSGI entry point define no domain error
        importlib.import_module(module.name)


def test_every_domain_error_has_a_unique_code_and_an_h5_status():
    _import_every_module()
    errors = all_domain_errors()
    assert len(errors) > 20  # the binding's, the transfers', the core port's, ...
    codes = [error.code for error in errors]
    assert len(codes) == len(set(codes)), sorted(code for code in codes if codes.count(code) > 1)
    assert all(code.isascii() and code == code.lower() and " " not in code for code in codes)
    assert set(STATUS_BY_CODE) <= set(codes), set(STATUS_BY_CODE) - set(codes)  # no stale entries
    for error in errors:
        assert 400 <= STATUS_BY_CODE.get(error.code, DEFAULT_STATUS) < 600
        assert not hasattr(error, "status"), f"{error.__name__} carries an HTTP status"
        assert str(error.message)


def test_the_h5_status_follows_the_code():
    from {{ cookiecutter.bank_slug }}.core_banking.port import CoreUnavailable, PayeeNotFound
    from {{ cookiecutter.bank_slug }}.features.binding.service import CardBoundElsewhere, ChallengeNotFound

    assert (status_of(CoreUnavailable()), status_of(PayeeNotFound())) == (503, DEFAULT_STATUS)
    assert (status_of(ChallengeNotFound()), status_of(CardBoundElsewhere())) == (404, 409)
    assert status_of(DomainError()) == DEFAULT_STATUS
