"""The H5 session ends when the customer is idle (H5_IDLE_MINUTES without a page) and when the WeChat web view was
closed (static/h5/session.js leaves the h5_left cookie set): the next page goes through WeChat's OAuth again, and the
new session starts without the cookie."""

import time

import pytest

from {{ cookiecutter.bank_slug }}.h5 import oauth

from ..live_sandbox import live_sandbox
from .test_h5_oauth import ALICE, authorize, callback_path, log_in


@pytest.fixture
def sandbox(make_app):
    app = make_app(H5_IDLE_MINUTES="5", H5_SESSION_MINUTES="30")
    with live_sandbox(app) as live:
        live.state.add_user(ALICE, "爱丽丝")
        yield live


@pytest.fixture
def clock(monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(oauth.time, "time", lambda: now[0])
    return now


def identified(sandbox, clock):
    service = sandbox.service.test_client()
    done = log_in(service, sandbox.mock.test_client(), ALICE, "/h5/cards")
    assert done.status_code == 302 and done.headers["Location"] == "/h5/cards"
    assert service.get("/h5/cards").status_code == 200
    return service


def sent_to_oauth(response) -> bool:
    return response.status_code == 302 and "/connect/oauth2/authorize" in response.headers["Location"]


def test_pages_keep_the_session_alive_and_idleness_ends_it(sandbox, clock):
    service = identified(sandbox, clock)
    for _ in range(4):  # a page every 4 minutes: 16 minutes in, still the same session
        clock[0] += 4 * 60
        assert service.get("/h5/cards").status_code == 200
    clock[0] += 5 * 60 + 1
    assert sent_to_oauth(service.get("/h5/cards"))
    assert sent_to_oauth(service.get("/h5/cards"))  # ended, not paused


def test_the_absolute_session_length_still_applies(sandbox, clock):
    service = identified(sandbox, clock)
    for _ in range(8):
        clock[0] += 4 * 60
        service.get("/h5/cards")
    assert sent_to_oauth(service.get("/h5/cards"))  # 32 minutes after the login


def test_a_closed_web_view_ends_the_session_and_the_new_one_starts_clean(sandbox, clock):
    service = identified(sandbox, clock)
    service.set_cookie(oauth.LEFT_COOKIE, "1", path=oauth.LEFT_COOKIE_PATH)  # what session.js leaves behind
    ended = service.get("/h5/cards")
    assert sent_to_oauth(ended)
    assert f"{oauth.LEFT_COOKIE}=;" in ended.headers.get("Set-Cookie", "")  # removed for the new session
    assert service.get_cookie(oauth.LEFT_COOKIE, path=oauth.LEFT_COOKIE_PATH) is None
    back = service.get(callback_path(authorize(sandbox.mock.test_client(), ended.headers["Location"], ALICE)))
    assert back.status_code == 302 and service.get("/h5/cards").status_code == 200
    service.set_cookie(oauth.LEFT_COOKIE, "0", path=oauth.LEFT_COOKIE_PATH)  # a page shown again: no end
    assert service.get("/h5/cards").status_code == 200


def test_every_h5_page_loads_the_session_script(sandbox, clock):
    service = identified(sandbox, clock)
    assert "h5/session.js" in service.get("/h5/cards").get_data(as_text=True)
    script = service.get("/static/h5/session.js").get_data(as_text=True)
    assert "pagehide" in script and "visibilitychange" in script and "h5_left" in script
