"""Customer-facing H5 pages, opened inside WeChat and identified through WeChat's OAuth2."""

import re
from urllib.parse import quote

from flask import Flask, current_app, request

from ..web.language import bank_name
from . import errors
from .views import make_blueprint  # noqa: F401  (the factory builds the parent with it)

HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")
FALLBACK_COLOR = "#07c160"  # WeChat green, only when BRAND_COLOR is not a colour


def branding() -> dict:
    """The bank's name (in the page's language), colour and hotline for every template, read from the
    configuration at run time."""
    config = current_app.config
    color = config.get("BRAND_COLOR") or ""
    return {
        "bank": {
            "name": bank_name(config),
            "short_name": bank_name(config, short=True),
            "color": color if HEX_COLOR.fullmatch(color) else FALLBACK_COLOR,
            "hotline": config["SERVICE_HOTLINE"],
        }
    }


def app_link(config, url: str) -> str:
    """"在手机银行中打开": APP_DEEP_LINK with {url} replaced by the page's URL, percent-encoded (e.g.
    qsbank://open?url={url}); "" when the bank has no app."""
    template = config.get("APP_DEEP_LINK") or ""
    return template.replace("{url}", quote(url, safe="")) if "{url}" in template else template


def app_link_context() -> dict:
    return {"app_link": app_link(current_app.config, request.url) if request else ""}


def init_app(app: Flask, bp) -> None:
    """Mount the /h5 parent (with the features' pages on it), its error pages and the branding every template
    sees."""
    errors.install(app, bp)  # one CSRF and one not-found answer for every feature's pages
    app.register_blueprint(bp)
    app.context_processor(branding)
    app.context_processor(app_link_context)
