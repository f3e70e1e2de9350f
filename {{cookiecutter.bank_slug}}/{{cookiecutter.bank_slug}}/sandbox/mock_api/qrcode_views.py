"""POST /cgi-bin/qrcode/create (生成带参数的二维码) and GET /cgi-bin/showqrcode (mp.weixin.qq.com's path: the
image by its ticket, no access token), with WeChat's rules:

* action_name QR_SCENE / QR_STR_SCENE (temporary) or QR_LIMIT_SCENE / QR_LIMIT_STR_SCENE (permanent), else 40052;
* action_info.scene.scene_id: a non-zero 32-bit integer for QR_SCENE, 1-100000 for QR_LIMIT_SCENE;
  scene_str 1-64 characters; missing or wrong: 40053;
* expire_seconds (temporary only): default 60, at most 2592000 (30 days; more is cut to 30 days);
* the same permanent scene gives the same ticket again (WeChat's limit of 100,000 permanent codes is the
  service's to keep: features/qrcodes counts them);
* showqrcode with an unknown or expired ticket: HTTP 404 and no image.

The image is a real QR code (the `qrcode` library, PNG through Pillow) of the code's url.
"""

import io
import secrets
from dataclasses import dataclass

import qrcode
from flask import Blueprint, Response, request

from .calls import json_body, mock_state, require_access_token
from .errors import WeChatError, ok

bp = Blueprint("mock_qrcode", __name__)

TEMPORARY = {"QR_SCENE": "scene_id", "QR_STR_SCENE": "scene_str"}
PERMANENT = {"QR_LIMIT_SCENE": "scene_id", "QR_LIMIT_STR_SCENE": "scene_str"}
DEFAULT_EXPIRE_SECONDS = 60
MAX_EXPIRE_SECONDS = 2_592_000
PERMANENT_SCENE_ID_MAX = 100_000
SCENE_STR_MAX = 64
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class MockQrCode:
    ticket: str
    url: str
    action_name: str
    scene: str  # scene_str, or scene_id as text (what the EventKey carries)
    expires_at: float | None  # epoch seconds; None: permanent

    @property
    def permanent(self) -> bool:
        return self.expires_at is None

    def to_json(self) -> dict:
        return {"ticket": self.ticket, "url": self.url, "action_name": self.action_name, "scene": self.scene,
                "expires_at": self.expires_at}


def _scene(action_name: str, data: dict) -> str:
    info = data.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        raise WeChatError(40053, "(action_info.scene is missing)")
    field = {**TEMPORARY, **PERMANENT}[action_name]
    value = scene.get(field)
    if field == "scene_str":
        if not isinstance(value, str) or not 1 <= len(value) <= SCENE_STR_MAX:
            raise WeChatError(40053, f"(scene_str must be 1-{SCENE_STR_MAX} characters)")
        return value
    limit = PERMANENT_SCENE_ID_MAX if action_name in PERMANENT else INT32_MAX
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise WeChatError(40053, f"(scene_id must be 1-{limit})")
    return str(value)


def _expire_seconds(data: dict) -> int:
    value = data.get("expire_seconds", DEFAULT_EXPIRE_SECONDS)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise WeChatError(47001, "(expire_seconds must be a positive whole number)")
    return min(value, MAX_EXPIRE_SECONDS)


def live_codes(state) -> list[MockQrCode]:
    """The codes whose tickets still work, newest last (the browser simulator lists them)."""
    now = state.clock()
    with state.lock:
        return [code for code in state.qrcodes.values() if code.expires_at is None or code.expires_at > now]


@bp.post("/cgi-bin/qrcode/create")
def create():
    require_access_token()
    data = json_body()
    action_name = data.get("action_name")
    if action_name not in TEMPORARY and action_name not in PERMANENT:
        raise WeChatError(40052)
    scene = _scene(action_name, data)
    state = mock_state()
    with state.lock:
        if action_name in PERMANENT:
            same = next((c for c in state.qrcodes.values() if c.permanent and c.scene == scene
                         and c.action_name == action_name), None)
            if same is not None:
                return ok(ticket=same.ticket, url=same.url)
            expires_at, seconds = None, None
        else:
            seconds = _expire_seconds(data)
            expires_at = state.clock() + seconds
        ticket = "gQ" + secrets.token_urlsafe(72)
        url = "http://weixin.qq.com/q/" + secrets.token_urlsafe(16)
        state.qrcodes[ticket] = MockQrCode(ticket, url, action_name, scene, expires_at)
        state.record("qrcode", None, {"action_name": action_name, "scene": scene, "expire_seconds": seconds})
    fields = {"ticket": ticket, "url": url}
    if seconds is not None:
        fields["expire_seconds"] = seconds
    return ok(**fields)


def png_of(text: str) -> bytes:
    image = qrcode.make(text, box_size=8, border=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@bp.get("/cgi-bin/showqrcode")
def show():
    state = mock_state()
    ticket = request.args.get("ticket") or ""
    with state.lock:
        code = state.qrcodes.get(ticket)
    if code is None or (code.expires_at is not None and code.expires_at <= state.clock()):
        return Response("ticket not found or expired", status=404, mimetype="text/plain")
    return Response(png_of(code.url), mimetype="image/png")
