"""The simulator's page and its JSON API (mounted on the mock WeChat API app).

    GET  /simulator/               the phone-sized chat page
    POST /simulator/api/session    {"openid"}: become this user in the in-app browser
    POST /simulator/api/send       {"openid", "type": text|subscribe|unsubscribe|click|view|scan, ...}
    GET  /simulator/api/qrcodes    the QR codes the service had the mock create (for the 扫码 buttons)

Errors are WeChat-style JSON `{"errcode", "errmsg"}` plus a Chinese `reason`, with HTTP 4xx/502.
Users, the menu and the messages the service sent come from the mock's own /_mock API.
"""

import json
import re

from flask import Blueprint, current_app, jsonify, render_template, request

from ..mock_api.errors import ERRMSG
from ..mock_api.qrcode_views import live_codes
from ..mock_api.state import MockState
from ..wechat_push import event_message, message_xml, text_message
from .relay import RelayError, relay

_PACKAGE_ROOT = "../.."  # the service package, whose templates/ and static/ hold the page's files

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder=f"{_PACKAGE_ROOT}/templates",
               static_folder=f"{_PACKAGE_ROOT}/static/sandbox", static_url_path="/static")

ACCOUNT = "gh_sandbox"  # the official account's original id (ToUserName)
DEFAULT_ACCOUNT_NAME = "微信银行（沙箱）"
DEFAULT_COLOR = "#07c160"
HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")
USER_COOKIE = "mock_openid"  # read by the mock's /connect/oauth2/authorize
SERVICE_SESSION_COOKIE = "session"  # the service's Flask session: one "phone" per simulated user
MAX_TEXT_BYTES = 2048
MAX_KEY_BYTES = 128
MAX_URL_BYTES = 1024
ACTIONS = ("text", "subscribe", "unsubscribe", "click", "view", "location", "location_report", "location_select",
           "scan")
# Preset places for the location picker: (label, latitude, longitude) in GCJ-02, near the demo branches
# (shared/demo_data.py); any place can be sent through the API.
PLACES = {
    "branch": ("人民路 90 号（营业部旁）", 30.274500, 120.155600),
    "market": ("城东农贸市场", 30.283000, 120.199000),
    "village": ("石桥村村委会", 30.340000, 120.260000),
}
# what opens a customer-service window: a message (48 h, 5 messages), a click or a follow (1 minute, 3)
WINDOW_OPENING = {"text": "message", "location": "message", "subscribe": "event", "click": "event", "scan": "event"}


class SimulatorError(Exception):
    def __init__(self, errcode: int, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.errcode, self.reason, self.status = errcode, reason, status


@bp.errorhandler(SimulatorError)
def simulator_error(exc: SimulatorError):
    return jsonify(errcode=exc.errcode, errmsg=ERRMSG.get(exc.errcode, "system error"), reason=exc.reason), exc.status


def _color(value) -> str:
    return value if isinstance(value, str) and HEX_COLOR.fullmatch(value) else DEFAULT_COLOR


def _state() -> MockState:
    return current_app.extensions["mock_wechat"]


def _body() -> dict:
    raw = request.get_data()
    if not raw.strip():
        raise SimulatorError(44002, "请求体为空")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deeply
        raise SimulatorError(47001, "请求体不是合法的 JSON") from None
    if not isinstance(data, dict):
        raise SimulatorError(47001, "请求体须为 JSON 对象")
    return data


def _user(data: dict):
    openid = data.get("openid")
    user = _state().user(openid) if isinstance(openid, str) else None
    if user is None:
        raise SimulatorError(40003, "未知的模拟用户（openid 无效），请先选择或新建用户")
    return user


def _field(data: dict, name: str, limit: int, errcode: int, label: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SimulatorError(errcode, f"缺少{label}")
    if len(value.encode("utf-8")) > limit:
        raise SimulatorError(45002, f"{label}超过 {limit} 字节")
    return value


@bp.get("/")
def page():
    state = _state()
    return render_template(
        "sandbox/simulator.html",
        account_name=current_app.config.get("SIMULATOR_ACCOUNT_NAME") or DEFAULT_ACCOUNT_NAME,
        brand_color=_color(current_app.config.get("SIMULATOR_BRAND_COLOR")),
        service_url=state.settings.service_url,
        mode=state.settings.encrypt_mode,
        control_token=state.settings.control_token,  # sent back as X-Mock-Token (mock_api/guard.py)
    )


@bp.post("/api/session")
def use_session():
    """Act as this user in the in-app browser: a fresh cookie jar, as on another phone."""
    user = _user(_body())
    response = jsonify(errcode=0, errmsg="ok", user=user.to_json())
    response.set_cookie(USER_COOKIE, user.openid, samesite="Lax", httponly=True)
    # The service runs on the same host (another port), and cookies ignore ports: forget its session
    # so its H5 pages identify the new user through OAuth2 instead of showing the previous one.
    response.delete_cookie(SERVICE_SESSION_COOKIE)
    return response


def _place(data) -> tuple[str, float, float]:
    """A preset place by key, or latitude/longitude (and a label) given as numbers on Earth."""
    if data.get("place") is not None:
        place = PLACES.get(str(data.get("place")))
        if place is None:
            raise SimulatorError(40008, f"未知的预设地点，可用：{', '.join(PLACES)}")
        return place
    try:
        lat, lng = float(data.get("latitude")), float(data.get("longitude"))
    except (TypeError, ValueError):
        raise SimulatorError(40008, "请给出预设地点 place，或数字形式的 latitude 和 longitude") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise SimulatorError(40008, "纬度须在 -90～90、经度须在 -180～180 之间")
    return str(data.get("label") or "")[:100], lat, lng


def _location_xml(openid: str, action: str, data, msg_id: int) -> str:
    """A location message (the user picks a place) or a LOCATION event (WeChat's background report)."""
    label, lat, lng = _place(data)
    if action == "location_select":  # the menu's place picker: the event first, then the place as a message
        info = {"Location_X": f"{lat:.6f}", "Location_Y": f"{lng:.6f}", "Scale": "15", "Label": label, "Poiname": ""}
        key = str(data.get("key") or "")[:MAX_KEY_BYTES // 4]
        return message_xml(ACCOUNT, openid, "event", {"Event": "location_select", "EventKey": key,
                                                      "SendLocationInfo": info})
    if action == "location":
        return message_xml(ACCOUNT, openid, "location", {"Location_X": f"{lat:.6f}", "Location_Y": f"{lng:.6f}",
                                                         "Scale": "15", "Label": label, "MsgId": str(msg_id)})
    return message_xml(ACCOUNT, openid, "event", {"Event": "LOCATION", "Latitude": f"{lat:.6f}",
                                                  "Longitude": f"{lng:.6f}", "Precision": "30.000000"})


def _scan_xml(user, data) -> str:
    """What WeChat pushes when the user scans one of the account's parametric QR codes: a follow
    (Event=subscribe, EventKey qrscene_<scene>, Ticket) by a non-follower, Event=SCAN (EventKey <scene>) by a
    follower."""
    ticket = data.get("ticket")
    code = next((c for c in live_codes(_state()) if c.ticket == ticket), None) if isinstance(ticket, str) else None
    if code is None:
        raise SimulatorError(40008, "二维码不存在或已过期")
    if user.subscribed:
        return message_xml(ACCOUNT, user.openid, "event",
                           {"Event": "SCAN", "EventKey": code.scene, "Ticket": code.ticket})
    return message_xml(ACCOUNT, user.openid, "event",
                       {"Event": "subscribe", "EventKey": "qrscene_" + code.scene, "Ticket": code.ticket})


@bp.get("/api/qrcodes")
def qrcodes():
    return jsonify(errcode=0, errmsg="ok", qrcodes=[code.to_json() for code in live_codes(_state())])


@bp.post("/api/send")
def send():
    data = _body()
    user = _user(data)
    action = data.get("type")
    if action not in ACTIONS:
        raise SimulatorError(40008, f"不支持的操作类型，可用：{', '.join(ACTIONS)}")
    state = _state()
    if action not in ("subscribe", "scan") and not user.subscribed:
        raise SimulatorError(43004, "该用户尚未关注公众号，请先关注")
    if action == "text":
        content = _field(data, "content", MAX_TEXT_BYTES, 44004, "消息内容")
        xml = text_message(user.openid, content, state.next_msg_id(), account=ACCOUNT)
    elif action == "click":
        xml = event_message(user.openid, "CLICK", _field(data, "key", MAX_KEY_BYTES, 40019, "菜单 key"),
                            account=ACCOUNT)
    elif action in ("location", "location_report", "location_select"):
        xml = _location_xml(user.openid, action, data, state.next_msg_id())
    elif action == "view":
        xml = event_message(user.openid, "VIEW", _field(data, "url", MAX_URL_BYTES, 40039, "网址"), account=ACCOUNT)
    elif action == "scan":
        xml = _scan_xml(user, data)
    else:
        xml = event_message(user.openid, action, account=ACCOUNT)
    if action == "scan" and not user.subscribed:  # scanning a parametric code is a follow for a non-follower
        user = state.set_subscribed(user.openid, True)
    if action in ("subscribe", "unsubscribe"):
        user = state.set_subscribed(user.openid, action == "subscribe")
    if action in WINDOW_OPENING:
        state.touch(user.openid, WINDOW_OPENING[action])
    try:
        relayed = relay(state.settings.service_url, state.settings.pusher(), xml)
        if action == "location_select":  # WeChat then sends the chosen place, which is what gets an answer
            state.touch(user.openid, "message")
            relayed = relay(state.settings.service_url, state.settings.pusher(),
                            _location_xml(user.openid, "location", data, state.next_msg_id()))
    except RelayError as exc:
        raise SimulatorError(-1, exc.reason, 502) from None
    return jsonify(errcode=0, errmsg="ok", reply=relayed.reply, user=user.to_json())
