"""`sandbox mock` and the mock's settings taken from the service's configuration."""

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.mock_api.settings import MockSettings


def test_settings_follow_the_service_config(app):
    settings = MockSettings.from_config(app.config, token_ttl_seconds=120)
    assert (settings.app_id, settings.app_secret) == (app.config["WECHAT_APP_ID"], app.config["WECHAT_APP_SECRET"])
    assert settings.token_ttl_seconds == 120
    pusher = settings.pusher()
    assert (pusher.token, pusher.encoding_aes_key, pusher.mode) == (
        app.config["WECHAT_TOKEN"], app.config["WECHAT_ENCODING_AES_KEY"], app.config["WECHAT_ENCRYPT_MODE"])
    assert app.config["PUBLIC_DOMAIN"].lower() in settings.oauth_hosts and "127.0.0.1" in settings.oauth_hosts


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_the_mock_listens_on_loopback_only(app, host):
    result = app.test_cli_runner().invoke(args=["sandbox", "mock", "--host", host, "--port", "5999"])
    assert result.exit_code != 0 and "loopback" in result.output
