"""/readyz: every dependency's own status in the JSON body, 503 when one is down, and a cached answer so
probes cannot hammer the core. /healthz stays the liveness check."""

import pytest

from {{ cookiecutter.bank_slug }}.ops import readiness
from {{ cookiecutter.bank_slug }}.sandbox.mock_api import create_mock_app
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.settings import MockSettings

from ..core_banking.contract.loopback import serving
from ..helpers import free_port


@pytest.fixture
def mock_wechat():
    """Yields a function: the mock WeChat API for an app's AppID and AppSecret, on a loopback port."""
    servers = []

    def start(app_id, app_secret):
        context = serving(create_mock_app(MockSettings(app_id=app_id, app_secret=app_secret)))
        servers.append(context)
        return context.__enter__()

    yield start
    for context in servers:
        context.__exit__(None, None, None)


APP_ID, APP_SECRET = "wx0123456789abcdef", "0123456789abcdef0123456789abcdef"


def _ready_app(make_app, mock_wechat, mock_secret=APP_SECRET, **overrides):
    url = mock_wechat(APP_ID, mock_secret)
    return make_app(READYZ_CACHE_SECONDS="0", WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET,
                    WECHAT_SANDBOX_API_URL=url, **overrides)


def test_everything_up_is_200_with_each_check(make_app, mock_wechat):
    response = _ready_app(make_app, mock_wechat).test_client().get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "checks": {"database": {"status": "ok"},
                                                        "redis": {"status": "not_configured"},
                                                        "core": {"status": "ok"}, "wechat": {"status": "ok"}}}


def test_an_unreachable_core_is_503_and_named(make_app, mock_wechat):
    app = _ready_app(make_app, mock_wechat, CORE_BANKING_ADAPTER="http",
                     CORE_BANKING_URL=f"http://127.0.0.1:{free_port()}/core/v1", CORE_BANKING_TIMEOUT_SECONDS="1")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["core"] == {"status": "down", "reason": "core_unavailable"}
    assert response.json["checks"]["database"] == {"status": "ok"}
    assert app.test_client().get("/healthz").status_code == 200  # alive, just not ready


def test_a_wechat_token_that_cannot_be_fetched_is_503(make_app):
    app = make_app(READYZ_CACHE_SECONDS="0", WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    wechat = response.json["checks"]["wechat"]
    assert wechat["status"] == "down" and wechat["reason"].startswith("token unavailable")
    assert "127.0.0.1" not in wechat["reason"] and app.config["WECHAT_APP_SECRET"] not in response.get_data(True)


def test_a_wrong_app_secret_is_503_with_wechats_errcode(make_app, mock_wechat):
    app = _ready_app(make_app, mock_wechat, mock_secret="another-secret")
    wechat = app.test_client().get("/readyz").json["checks"]["wechat"]
    assert wechat == {"status": "down", "reason": "token unavailable: errcode 40125"}


def test_redis_when_configured(make_app, mock_wechat, redis_url):
    up = _ready_app(make_app, mock_wechat, REDIS_URL=redis_url).test_client().get("/readyz")
    assert up.json["checks"]["redis"] == {"status": "ok"}
    down = _ready_app(make_app, mock_wechat, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    answer = down.get("/readyz")
    assert answer.status_code == 503 and answer.json["checks"]["redis"]["status"] == "down"


def test_the_answer_is_cached_so_probes_cannot_hammer_the_core(make_app, monkeypatch):
    calls = []
    monkeypatch.setitem(readiness.CHECKS, "core", lambda: calls.append(1))
    monkeypatch.setitem(readiness.CHECKS, "wechat", lambda: None)
    client = make_app(READYZ_CACHE_SECONDS="60").test_client()
    for _ in range(20):
        assert client.get("/readyz").status_code == 200
    assert len(calls) == 1
    uncached = make_app(READYZ_CACHE_SECONDS="0").test_client()
    for _ in range(3):
        uncached.get("/readyz")
    assert len(calls) == 4
