"""A local stand-in for api.weixin.qq.com and open.weixin.qq.com, for sandbox mode and the tests.

Real paths, payloads and errcodes (HTTP 200 with `{"errcode", "errmsg"}`, as WeChat answers), so
the service's wechatpy client runs unchanged against it; state lives in memory in one process.

    /cgi-bin/token                               access token (a new one invalidates the last)
    /cgi-bin/stable_token                        stable access token, normal and forced (stable_token.py)
    /cgi-bin/menu/create|get|delete              custom menu
    /cgi-bin/message/template/send               template message (templates.py; client_msg_id and
                                                 TEMPLATESENDJOBFINISH: template_jobs.py)
    /cgi-bin/template/get_all_private_template   the account's templates
    /cgi-bin/message/custom/send                 customer-service message
    /cgi-bin/message/mass/send|sendall|preview   mass send (4 a month per follower, clientmsgid 45065;
                                                 MASSSENDJOBFINISH: mass_jobs.py)
    /cgi-bin/user/info                           follow state of a user
    /cgi-bin/qrcode/create, /cgi-bin/showqrcode  parametric QR codes and their PNG (mp.weixin.qq.com's path)
    /cgi-bin/tags/..., /cgi-bin/user/tag/get     user tags and their members (tag_views.py)
    /cgi-bin/draft/add|update, /cgi-bin/freepublish/submit|get, /datacube/getarticletotal
                                                 draft box, publishing, article figures (content_views.py)
    /connect/oauth2/authorize, /sns/oauth2/access_token   网页授权
    /_mock/...                                   records, faults, users, menu, stats, reset

The control endpoints (/_mock/*, /simulator/api/*) answer only requests that carry the run's
X-Mock-Token, come from no other origin and, with a body, send JSON (guard.py).

Run it with `flask --app <package> sandbox mock` (sandbox/cli.py).
"""

import importlib
import secrets
from dataclasses import replace

from flask import Flask, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from . import (
    content_views,
    control_views,
    guard,
    mass_jobs,
    menu_views,
    message_views,
    oauth_views,
    qrcode_views,
    stable_token,
    tag_views,
    template_jobs,
    template_views,
    token_views,
    user_views,
)
from .errors import WeChatError, error_response
from .faults import FAULTY_PREFIXES, inject_faults
from .settings import MockSettings
from .state import MockState

# Modules exposing `bp`, registered on the mock too (the browser simulator adds itself here).
EXTRA_BLUEPRINTS: list[str] = [f"{__package__.rpartition('.')[0]}.simulator"]

MAX_BODY_BYTES = 1024 * 1024


def create_mock_app(settings: MockSettings | None = None) -> Flask:
    settings = settings or MockSettings()
    if not settings.control_token:
        settings = replace(settings, control_token=secrets.token_urlsafe(24))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False  # readable Chinese, as WeChat sends it
    app.extensions["mock_wechat"] = MockState(settings)
    app.before_request(guard.check_control_request)
    app.before_request(inject_faults)
    for module in (token_views, stable_token, template_views, template_jobs, mass_jobs, message_views, menu_views,
                   user_views, oauth_views, qrcode_views, tag_views, content_views, control_views):
        app.register_blueprint(module.bp)
    app.register_blueprint(content_views.control)
    for module_name in EXTRA_BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module_name).bp)
    _register_error_handlers(app)
    return app


def _is_wechat_api() -> bool:
    return request.path.startswith(FAULTY_PREFIXES)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(WeChatError)
    def wechat_error(exc: WeChatError):
        return error_response(exc.errcode, exc.detail)

    @app.errorhandler(MethodNotAllowed)
    def wrong_method(exc: MethodNotAllowed):
        if not _is_wechat_api():
            return exc
        return error_response(43002 if "POST" in (exc.valid_methods or ()) else 43001)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        if not _is_wechat_api():
            return exc
        return error_response(48001, f"({request.path} is not in the mock WeChat API)", status=404)
