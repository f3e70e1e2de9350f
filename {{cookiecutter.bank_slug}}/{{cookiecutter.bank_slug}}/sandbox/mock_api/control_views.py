"""/_mock/*: the mock's own JSON API for tests and the simulator (never faulted, no access token).

Records of everything sent (and of the sandbox's text messages, POST /_mock/sms), fault settings,
simulated WeChat users, the menu, stats and reset.
Bad input gets 400 with `{"error": "<Chinese> <English>"}`.
"""

import re

from flask import Blueprint, jsonify, request

from ...shared.masking import mask_phone
from .calls import mock_state
from .faults import Faults, FaultsError
from .state import RECORD_KINDS

bp = Blueprint("mock_control", __name__, url_prefix="/_mock")

OPENID_PATTERN = re.compile(r"[A-Za-z0-9_-]{28}")
MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")
MAX_SMS_CHARS = 500
MAX_NICKNAME_CHARS = 32
USER_FIELDS = {"openid", "nickname", "subscribed", "tags"}
MAX_TAG_ID = 2**31 - 1


def _bad(reason: str, status: int = 400):
    return jsonify(error=reason), status


def _body():
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # silent= covers ValueError only; a body nested too deeply is no object either
        return None
    return data if isinstance(data, dict) else None


@bp.get("/records")
def records():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in RECORD_KINDS:
        return _bad(f"未知的记录类型 unknown kind; one of {', '.join(RECORD_KINDS)}")
    since = request.args.get("since_id", "0")
    if not since.isdigit():
        return _bad("since_id 必须是非负整数 since_id must be a whole number >= 0")
    found = mock_state().records_since(int(since), kind, request.args.get("openid") or None)
    return {"records": [r.to_json() for r in found], "last_id": found[-1].id if found else int(since)}


@bp.get("/faults")
def get_faults():
    return mock_state().faults.to_json()


@bp.put("/faults")
def put_faults():
    try:
        faults = Faults.from_json(_body())
    except FaultsError as exc:
        return _bad(str(exc))
    state = mock_state()
    with state.lock:
        state.faults = faults
        if faults.seed is not None:
            state.rng.seed(faults.seed)
    return faults.to_json()


@bp.get("/users")
def list_users():
    state = mock_state()
    with state.lock:
        return {"users": [u.to_json() for u in state.users.values()]}


@bp.post("/users")
def add_user():
    data = _body()
    if data is None:
        return _bad("请求体须为 JSON 对象 the body must be a JSON object")
    unknown = sorted(set(data) - USER_FIELDS)
    if unknown:
        return _bad(f"未知字段 unknown field: {', '.join(unknown)}")
    openid = data.get("openid")
    if openid is not None and not (isinstance(openid, str) and OPENID_PATTERN.fullmatch(openid)):
        return _bad("openid 须为 28 位字母、数字、_ 或 - openid must be 28 letters, digits, _ or -")
    nickname = data.get("nickname", "")
    if not isinstance(nickname, str) or len(nickname) > MAX_NICKNAME_CHARS:
        return _bad(f"昵称最多 {MAX_NICKNAME_CHARS} 个字 nickname must be text of at most {MAX_NICKNAME_CHARS}")
    subscribed = data.get("subscribed", True)
    if not isinstance(subscribed, bool):
        return _bad("subscribed 须为 true 或 false subscribed must be true or false")
    tags = data.get("tags", [])
    if not (isinstance(tags, list) and all(type(t) is int and 0 < t <= MAX_TAG_ID for t in tags)):
        return _bad("tags 须为正整数标签 id 的列表 tags must be a list of positive tag ids")
    try:
        user = mock_state().add_user(openid, nickname.strip(), subscribed, tags)
    except KeyError:
        return _bad("该 openid 已存在 this openid exists already", 409)
    return {"user": user.to_json()}, 201


def _set_subscribed(openid: str, subscribed: bool):
    user = mock_state().set_subscribed(openid, subscribed)
    if user is None:
        return _bad("未知的模拟用户 unknown simulated user", 404)
    return {"user": user.to_json()}


@bp.post("/users/<openid>/subscribe")
def subscribe(openid: str):
    return _set_subscribed(openid, True)


@bp.post("/users/<openid>/unsubscribe")
def unsubscribe(openid: str):
    return _set_subscribed(openid, False)


@bp.post("/sms")
def sms():
    """A text message the service's sandbox SMS adapter sends (sms.py). Recorded as kind "sms"
    with the phone masked, for the simulator's 短信 cards and for tests."""
    data = _body()
    if data is None:
        return _bad("请求体须为 JSON 对象 the body must be a JSON object")
    phone, text = data.get("phone"), data.get("text")
    if not (isinstance(phone, str) and MOBILE_PATTERN.fullmatch(phone)):
        return _bad("phone 须为 11 位手机号 phone must be an 11-digit mobile number")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_SMS_CHARS:
        return _bad(f"text 须为 1-{MAX_SMS_CHARS} 个字 text must be 1-{MAX_SMS_CHARS} characters")
    record = mock_state().record("sms", None, {"phone": mask_phone(phone), "text": text})
    return {"record": record.to_json()}, 201


@bp.get("/menu")
def menu():
    return {"menu": mock_state().menu}


@bp.get("/stats")
def stats():
    return mock_state().stats()


@bp.post("/reset")
def reset():
    mock_state().reset()
    return {"ok": True}
