"""GET /cgi-bin/user/info: a user's follow state (用户基本信息).

Like WeChat since December 2021, no nickname or avatar is returned.
"""

from flask import Blueprint, request

from .calls import mock_state, require_access_token
from .errors import WeChatError

bp = Blueprint("mock_user", __name__)
bp.before_request(require_access_token)


@bp.get("/cgi-bin/user/info")
def user_info():
    openid = request.args.get("openid")
    if not openid:
        raise WeChatError(41009)
    user = mock_state().user(openid)
    if user is None:
        raise WeChatError(40003)
    if not user.subscribed:
        return {"subscribe": 0, "openid": user.openid}
    return {
        "subscribe": 1,
        "openid": user.openid,
        "language": user.language,
        "subscribe_time": user.subscribe_time,
        "remark": "",
        "groupid": 0,
        "tagid_list": list(user.tags),
        "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0,
        "qr_scene_str": "",
    }
