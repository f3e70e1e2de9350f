"""Customer-facing H5 pages, opened inside WeChat and identified through WeChat's OAuth2."""

import re

from flask import Flask, current_app

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


def init_app(app: Flask, bp) -> None:
    """Mount the /h5 parent (with the features' pages on it), its error pages and the branding every template
    sees."""
    errors.install(app, bp)  # one CSRF and one not-found answer for every feature's pages
    app.register_blueprint(bp)
    app.context_processor(branding)
