"""Browser-facing hardening for every page: cookie flags and security headers.

- Session and remember-me cookies: HttpOnly, SameSite=Lax (WeChat's OAuth redirect back to an H5
  page is a top-level GET, which Lax lets through), Secure when PUBLIC_BASE_URL is https.
- Every response: X-Content-Type-Options nosniff; Referrer-Policy same-origin (page URLs may carry
  OAuth codes); HSTS when PUBLIC_BASE_URL is https.
- Pages (HTML): Cache-Control no-store, so balances, cards and staff lists are not kept by the
  WeChat browser, a shared computer or a proxy.
- Framing: only by the service's own pages (X-Frame-Options and CSP frame-ancestors), against
  clickjacking on the transfer and admin pages. In sandbox mode the browser simulator, served by
  the mock from another port or host, shows the H5 pages in its phone frame, so framing is left
  open there; sandbox mode moves no real money.
"""

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface

HSTS_SECONDS = 365 * 24 * 3600


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a request without the cookie (every WeChat push) gets its empty session
    without building the signing serializer first."""

    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    apply_cookie_flags(app)
    app.session_interface = _SessionInterface()
    app.after_request(security_headers)


def serves_https(config) -> bool:
    return config["PUBLIC_BASE_URL"].startswith("https://")


def apply_cookie_flags(app: Flask) -> None:
    """Cookie flags for the app's PUBLIC_BASE_URL; called again when that changes (sandbox.run.point_at_sandbox)."""
    https = serves_https(app.config)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SECURE=https,
    )


def security_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if serves_https(config):
        headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
    if response.mimetype == "text/html":
        if not request.path.startswith("/static/"):
            headers["Cache-Control"] = "no-store"
        if not config["WECHAT_SANDBOX"]:
            headers.setdefault("X-Frame-Options", "SAMEORIGIN")
            headers.setdefault("Content-Security-Policy", "frame-ancestors 'self'")
    return response
