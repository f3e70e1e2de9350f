"""Fixtures for the mock WeChat API: an app on a fake clock (no sleeping), with two users."""

from dataclasses import replace

import pytest

from {{ cookiecutter.bank_slug }}.sandbox.mock_api import create_mock_app
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.settings import MockSettings

from ..helpers import mock_control_client
from .mock_calls import APP_ID, APP_SECRET, FOLLOWER, NOT_FOLLOWING, fetch_token


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sleeps():
    """Every wait the mock asked for, in seconds (nothing really sleeps)."""
    return []


@pytest.fixture
def mock_settings():
    return MockSettings(app_id=APP_ID, app_secret=APP_SECRET, token_ttl_seconds=600, seed=7,
                        public_domain="wx.bank.example.cn")


@pytest.fixture
def mock_app(mock_settings, clock, sleeps):
    app = create_mock_app(mock_settings)
    state = app.extensions["mock_wechat"]
    state.clock, state.sleep = clock, sleeps.append
    state.add_user(FOLLOWER, "小青", subscribed=True)
    state.add_user(NOT_FOLLOWING, "", subscribed=False)
    return app


@pytest.fixture
def state(mock_app):
    return mock_app.extensions["mock_wechat"]


@pytest.fixture
def mock_client(mock_app):
    return mock_control_client(mock_app)


@pytest.fixture
def token(mock_client):
    return fetch_token(mock_client)


@pytest.fixture
def make_mock_client(mock_settings, clock, sleeps):
    """A client of a mock with other settings, on the same fake clock."""

    def factory(**overrides):
        app = create_mock_app(replace(mock_settings, **overrides))
        state = app.extensions["mock_wechat"]
        state.clock, state.sleep = clock, sleeps.append
        return mock_control_client(app)

    return factory
