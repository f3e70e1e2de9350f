"""What every mock WeChat API view needs: the state, the JSON body, and a valid access token."""

import json

from flask import current_app, request

from .errors import WeChatError
from .state import MockState


def mock_state() -> MockState:
    return current_app.extensions["mock_wechat"]


def json_body() -> dict:
    """The POSTed JSON object: 44002 when empty, 47001 when not a JSON object (as WeChat answers)."""
    raw = request.get_data()
    if not raw.strip():
        raise WeChatError(44002)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deeply
        raise WeChatError(47001) from None
    if not isinstance(data, dict):
        raise WeChatError(47001)
    return data


def require_access_token() -> None:
    """before_request of every /cgi-bin blueprint but the token one: 41001, 40001 or 42001."""
    mock_state().check_token(request.args.get("access_token"))
