"""The endpoint WeChat pushes to: GET for URL verification, POST for messages and events."""

import logging

from flask import Blueprint, Response, current_app, request

from . import inbound
from .errors import RejectedRequest
from .transport import Envelope, TransportSettings, open_message, seal_reply, verify_envelope

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


@bp.errorhandler(RejectedRequest)
def rejected(exc: RejectedRequest) -> Response:
    log.warning("wechat request refused (%s): %s", exc.status, exc.reason)
    return _text(exc.reason, exc.status)


@bp.get("/wechat")
def verify_url() -> Response:
    """WeChat's server-address check: echo `echostr` when the signature is right."""
    settings = TransportSettings.from_config(current_app.config)
    verify_envelope(settings, Envelope.from_args(request.args))
    echostr = request.args.get("echostr", "")
    if not echostr:
        raise RejectedRequest(400, "missing echostr")
    return _text(echostr)


def _read_body(limit: int) -> str:
    length = request.content_length
    if length is not None and length > limit:
        raise RejectedRequest(400, f"body larger than {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise RejectedRequest(400, f"body larger than {limit} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RejectedRequest(400, "body is not UTF-8") from None


@bp.post("/wechat")
def receive() -> Response:
    config = current_app.config
    settings = TransportSettings.from_config(config)
    envelope = Envelope.from_args(request.args)
    verify_envelope(settings, envelope)
    body = _read_body(config["WECHAT_MAX_BODY_BYTES"])
    root = inbound.check_xml(body)
    # the key that decrypted it seals the reply
    plaintext, reply_settings = open_message(settings, envelope, body, root)
    message = inbound.parse(plaintext)
    reply_xml = current_app.extensions["wechat_processor"].process(message)
    if not reply_xml:
        return _text("success")
    return Response(seal_reply(reply_settings, envelope, reply_xml), mimetype="application/xml")
