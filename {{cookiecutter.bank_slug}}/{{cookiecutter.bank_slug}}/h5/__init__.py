"""Customer-facing H5 pages, opened inside WeChat and identified through WeChat's OAuth2."""

import re

from flask import Flask, current_app

from ..language import bank_name
from .views import bp

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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(branding)
