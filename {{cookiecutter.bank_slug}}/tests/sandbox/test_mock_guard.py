"""The mock's control endpoints refuse what a web page could send from the developer's browser, and
`sandbox mock` refuses a live (WECHAT_SANDBOX=0) configuration."""

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.mock_api.settings import MockSettings
from {{ cookiecutter.bank_slug }}.sms import MOCK_TOKEN_HEADER, mock_control_token

from ..helpers import PRODUCTION_SMS
from .mock_calls import FOLLOWER

CONTROL_POSTS = [("post", "/_mock/users", {"nickname": "x"}), ("post", "/_mock/reset", None),
                 ("put", "/_mock/faults", {"latency_ms": 5}), ("post", "/_mock/sms", {"phone": "13800138001",
                                                                                   "text": "x"}),
                 ("post", f"/_mock/users/{FOLLOWER}/unsubscribe", None),
                 ("post", "/simulator/api/send", {"openid": FOLLOWER, "type": "text", "content": "hi"}),
                 ("post", "/simulator/api/session", {"openid": FOLLOWER})]


@pytest.mark.parametrize("method,path,body", CONTROL_POSTS)
def test_a_control_request_without_the_token_changes_nothing(mock_app, state, method, path, body):
    client = mock_app.test_client()  # no X-Mock-Token
    before = (len(state.users), state.faults.to_json(), len(state.records_since(0)))
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 403 and MOCK_TOKEN_HEADER in response.get_json()["error"]
    wrong = getattr(client, method)(path, json=body, headers={MOCK_TOKEN_HEADER: "guess"})
    assert wrong.status_code == 403
    assert (len(state.users), state.faults.to_json(), len(state.records_since(0))) == before
    assert state.user(FOLLOWER).subscribed


def test_a_cross_origin_text_plain_post_is_refused_even_with_the_token(mock_app, state, mock_client):
    token = state.settings.control_token
    # What an <form enctype="text/plain"> or fetch(no-cors) from another site sends: no pre-flight.
    refused = mock_client.post("/_mock/users", data='{"nickname": "evil"}', content_type="text/plain",
                               headers={"Origin": "https://evil.example", MOCK_TOKEN_HEADER: token})
    assert refused.status_code == 403 and "cross-origin" in refused.get_json()["error"]
    not_json = mock_client.post("/_mock/users", data='{"nickname": "evil"}', content_type="text/plain")
    assert not_json.status_code == 415
    same_origin = mock_client.post("/_mock/users", json={"nickname": "好人"}, headers={"Origin": "http://localhost"})
    assert same_origin.status_code == 201, same_origin.get_json()


def test_a_rebound_host_cannot_read_the_page_or_the_records(mock_client):
    assert mock_client.get("/simulator/", headers={"Host": "evil.example"}).status_code == 403
    assert mock_client.get("/_mock/records", headers={"Host": "evil.example:5001"}).status_code == 403
    assert mock_client.get("/_mock/records").status_code == 200
    # the WeChat API paths are not the mock's control: wechatpy calls them with any Host
    assert mock_client.get("/cgi-bin/token", headers={"Host": "api.weixin.qq.com"}).status_code == 200


def test_the_simulator_page_carries_the_token_for_its_script(mock_app, mock_client, state):
    page = mock_client.get("/simulator/").get_data(as_text=True)
    assert f'name="mock-token" content="{state.settings.control_token}"' in page
    script = mock_client.get("/simulator/static/simulator.js").get_data(as_text=True)
    assert '"X-Mock-Token": MOCK_TOKEN' in script


def test_each_run_has_its_own_token_unless_configured(mock_app):
    from {{ cookiecutter.bank_slug }}.sandbox.mock_api import create_mock_app

    other = create_mock_app(MockSettings())
    assert other.extensions["mock_wechat"].settings.control_token != \
        mock_app.extensions["mock_wechat"].settings.control_token
    assert len(other.extensions["mock_wechat"].settings.control_token) >= 32


def test_the_service_and_a_mock_of_the_same_configuration_agree_on_the_token(app):
    settings = MockSettings.from_config(app.config)
    assert settings.control_token == mock_control_token(app.config["SECRET_KEY"])
    assert settings.control_token != mock_control_token(app.config["SECRET_KEY"] + "x")


def test_sandbox_mock_refuses_a_live_configuration(make_app):
    live = make_app(WECHAT_SANDBOX="0", WECHAT_APP_SECRET="a-real-looking-secret", **PRODUCTION_SMS)
    with live.app_context():  # as `flask sandbox mock` runs it
        result = live.test_cli_runner().invoke(args=["sandbox", "mock", "--port", "52517"])
    assert result.exit_code != 0
    assert "WECHAT_SANDBOX=0" in result.output and "Refusing to start" in result.output
