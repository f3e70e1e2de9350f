"""`flask check-deploy` lists every demo or sandbox value and fails while one blocks go-live; `seed-demo`
refuses outside the sandbox, so production never gets the demo customers and their published PIN."""

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.core_banking.models import Customer
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.shared.fieldcrypt import new_key

PRODUCTION = {"WECHAT_SANDBOX": "0", "PUBLIC_DOMAIN": "wx.real-bank.com.cn", "SMS_SENDER": "smsplatform.client:Sender",
              "METRICS_TOKEN": "m" * 32, "DATA_KEYS": "k1:" + new_key(), "DATA_LOOKUP_KEY": new_key()}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["check-deploy", *args])


def test_the_sandbox_configuration_is_listed_and_blocks(app):
    result = run(app)
    assert result.exit_code == 1
    for setting in ("WECHAT_SANDBOX", "SMS_SENDER", "CORE_BANKING_ADAPTER"):
        assert f"{setting}:" in result.output
    assert "block go-live" in result.output


def test_a_production_configuration_passes_with_advice_only(make_app):
    app = make_app(**PRODUCTION)
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "MUST FIX" not in result.output
    assert "CORE_BANKING_ADAPTER:" in result.output  # the built-in ledger stays advice (a pilot may use it)


@pytest.mark.parametrize("override,setting", [
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"PUBLIC_DOMAIN": "wx.qingshan-bank.example.cn"}, "PUBLIC_DOMAIN"),
    ({"WECHAT_APP_SECRET": ""}, "WECHAT_APP_SECRET"),
    ({"DATA_KEYS": ""}, "DATA_KEYS"),  # the public demo key of the encryption at rest
    ({"DATA_LOOKUP_KEY": ""}, "DATA_LOOKUP_KEY"),
])
def test_each_demo_value_alone_blocks(make_app, override, setting):
    result = run(make_app(**{**PRODUCTION, **override}))
    assert result.exit_code == 1
    assert f"MUST FIX  {setting}:" in result.output


def test_the_sandbox_sms_sender_in_production_stops_start_up_before_any_check(make_app):
    from {{ cookiecutter.bank_slug }}.settings import ConfigError

    with pytest.raises(ConfigError, match="SMS_SENDER"):
        make_app(**{**PRODUCTION, "SMS_SENDER": "sandbox"})


def test_demo_customers_in_the_database_block(app, make_app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    result = run(make_app(**PRODUCTION))
    assert result.exit_code == 1
    assert "MUST FIX  seed-demo:" in result.output and "demo customers" in result.output


def test_seed_demo_refuses_outside_the_sandbox(make_app):
    app = make_app(**PRODUCTION)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "sandbox only" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count(Customer.id))).scalar_one() == 0
