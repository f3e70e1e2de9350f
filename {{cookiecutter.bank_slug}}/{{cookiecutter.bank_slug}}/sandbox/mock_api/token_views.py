"""GET /cgi-bin/token: the access token (基础支持 · 获取 access_token)."""

from flask import Blueprint, jsonify, request

from .calls import mock_state
from .credentials import check_app_credentials
from .errors import WeChatError

bp = Blueprint("mock_token", __name__)


@bp.get("/cgi-bin/token")
def access_token():
    state = mock_state()
    args = request.args
    if args.get("grant_type") != "client_credential":
        raise WeChatError(40002)
    check_app_credentials(args, state.settings)
    token, expires_in = state.issue_token()
    return jsonify(access_token=token, expires_in=expires_in)
