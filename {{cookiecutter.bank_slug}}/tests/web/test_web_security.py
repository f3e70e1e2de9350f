"""Cookie flags and security headers (web_security.py): pages are not cached, framed or sniffed."""

from {{ cookiecutter.bank_slug }}.sandbox.run import point_at_sandbox

from ..helpers import PRODUCTION_SMS


def _production(make_app, **overrides):
    """An instance talking to the real WeChat (not sandbox mode)."""
    return make_app(WECHAT_SANDBOX="0", **{**PRODUCTION_SMS, **overrides})


def test_pages_are_neither_cached_nor_framed_by_other_sites(make_app):
    app = _production(make_app, PUBLIC_BASE_URL="http://127.0.0.1:5000")
    response = app.test_client().get("/h5/products")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # http: no HSTS


def test_https_instances_send_hsts_and_secure_lax_cookies(make_app):
    app = _production(make_app, PUBLIC_BASE_URL="https://wx.bank.example")
    response = app.test_client().get("/h5/", base_url="https://wx.bank.example")
    assert response.status_code == 302  # to WeChat's OAuth, with its state in the session cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "secure" in flags and "httponly" in flags and flags["samesite"] == "SameSite=Lax"


def test_http_instances_keep_cookies_usable_without_tls(make_app):
    app = _production(make_app, PUBLIC_BASE_URL="http://127.0.0.1:5000")
    response = app.test_client().get("/h5/")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "Secure" not in cookie and "SameSite=Lax" in cookie


def test_sandbox_run_on_plain_http_drops_the_secure_flag_set_for_the_https_domain(make_app):
    app = _production(make_app, PUBLIC_BASE_URL="https://wx.bank.example")
    assert app.config["SESSION_COOKIE_SECURE"]
    point_at_sandbox(app, "http://127.0.0.1:5000", "http://127.0.0.1:5001")  # what `sandbox run` does
    response = app.test_client().get("/h5/")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "Secure" not in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" not in response.headers


def test_sandbox_mode_lets_the_simulator_frame_the_h5_pages(make_app):
    app = make_app(WECHAT_SANDBOX="1")
    response = app.test_client().get("/h5/products")
    assert "X-Frame-Options" not in response.headers and "Content-Security-Policy" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_json_answers_are_not_sniffed(make_app):
    response = _production(make_app).test_client().get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Frame-Options" not in response.headers
