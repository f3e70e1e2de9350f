"""WeChat official-account integration: the message endpoint, routing, replies and the API client."""

from flask import Flask

from ..extensions import db
from . import window
from .client import get_client
from .customer_service import send_reply_later
from .processing import MessageProcessor
from .router import Router
from .views import bp


def _late_delivery(openid: str, reply_xml: str) -> None:
    if send_reply_later(get_client(), openid, reply_xml):
        window.use_window(db.engine, openid)  # one of the window's customer-service messages is used


def init_app(app: Flask) -> Router:
    """Mount the endpoint and return the app's (empty) router: the features register their handlers on it."""
    router = Router()
    app.extensions["wechat_router"] = router
    app.extensions["wechat_processor"] = MessageProcessor(app, router, _late_delivery)
    app.register_blueprint(bp)
    return router
