"""WeChat official-account integration: the message endpoint, routing, replies and the API client."""

import importlib

from flask import Flask

from .client import get_client
from .customer_service import send_reply_later
from .processing import MessageProcessor
from .router import Router
from .views import bp


def _late_delivery(openid: str, reply_xml: str) -> None:
    send_reply_later(get_client(), openid, reply_xml)


def init_app(app: Flask, handler_modules: list[str]) -> Router:
    """Build the router from each module's `register(router)` and mount the endpoint."""
    router = Router()
    for module_name in handler_modules:
        importlib.import_module(module_name).register(router)
    app.extensions["wechat_router"] = router
    app.extensions["wechat_processor"] = MessageProcessor(app, router, _late_delivery)
    app.register_blueprint(bp)
    return router
