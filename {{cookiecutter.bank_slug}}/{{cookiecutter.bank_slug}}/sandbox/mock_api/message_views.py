"""Customer-service messages (客服消息) and mass sends (群发) with their preview."""

from flask import Blueprint

from .calls import json_body, mock_state, require_access_token
from .errors import WeChatError, ok
from .mass_jobs import after_send

bp = Blueprint("mock_message", __name__)
bp.before_request(require_access_token)

CUSTOM_TYPES = ("text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle", "msgmenu",
                "wxcard", "miniprogrampage")
MASS_TYPES = ("text", "mpnews", "image", "voice", "mpvideo", "wxcard")
MEDIA_TYPES = ("image", "voice", "video", "mpnews", "mpvideo")
MAX_TEXT_BYTES = 2048
MASS_MIN_USERS, MASS_MAX_USERS = 2, 10_000


def _content(body: dict, msgtype: str) -> None:
    """The part of the message named by its msgtype, checked as WeChat checks it."""
    part = body.get(msgtype)
    if not isinstance(part, dict):
        raise WeChatError(47001, f"missing {msgtype}")
    if msgtype == "text":
        content = part.get("content")
        if not isinstance(content, str) or not content.strip():
            raise WeChatError(44004)
        if len(content.encode()) > MAX_TEXT_BYTES:
            raise WeChatError(45002)
    elif msgtype == "news":
        articles = part.get("articles")
        if not isinstance(articles, list) or not articles:
            raise WeChatError(44003)
        if len(articles) > 1:  # WeChat has sent one article per customer-service news since 2018
            raise WeChatError(45008)
        if not isinstance(articles[0], dict) or not articles[0].get("title"):
            raise WeChatError(44003)
    elif msgtype in MEDIA_TYPES and not part.get("media_id"):
        raise WeChatError(40007)
    elif msgtype == "mpnews":
        _check_draft(part["media_id"])


def _check_draft(media_id) -> None:
    """An mpnews is an article of the draft box (草稿箱): an unknown media_id is 40007."""
    state = mock_state()
    with state.lock:
        if media_id not in state.marketing.drafts:
            raise WeChatError(40007, "mpnews media_id")


def _sent_from_drafts(body: dict) -> None:
    """An article sent by 群发 leaves the draft box, as when it is published."""
    if body.get("msgtype") == "mpnews":
        state = mock_state()
        with state.lock:
            state.marketing.drafts.pop(body["mpnews"]["media_id"], None)


@bp.post("/cgi-bin/message/custom/send")
def send_custom():
    state = mock_state()
    body = json_body()
    openid = body.get("touser")
    user = state.follower(openid)
    msgtype = body.get("msgtype")
    if msgtype not in CUSTOM_TYPES:
        raise WeChatError(40008)
    _content(body, msgtype)
    state.use_window(user)  # 45015 outside the windows, 45047 over their counts (only when it saw them open)
    state.record("custom", openid, body)
    return ok()


@bp.post("/cgi-bin/message/mass/send")
def send_mass():
    state = mock_state()
    body = json_body()
    openids = body.get("touser")
    if not isinstance(openids, list) or len(openids) < MASS_MIN_USERS:
        raise WeChatError(40130)
    if len(openids) > MASS_MAX_USERS:
        raise WeChatError(40032)
    users = [state.user(openid) if isinstance(openid, str) else None for openid in openids]
    if None in users:
        raise WeChatError(40003)
    msgtype = body.get("msgtype")
    if msgtype not in MASS_TYPES:
        raise WeChatError(40008)
    _content(body, msgtype)
    if body.get("clientmsgid"):
        state.claim_client_msg_id(str(body["clientmsgid"]))
    msg_id = state.next_msg_id()
    followers = sorted({user.openid for user in users if user.subscribed})  # non-followers get nothing
    delivered, filtered = state.mass_deliver(followers)  # 4 a month per follower: the rest are filtered
    state.record("mass_send", None, body, msg_id=msg_id, delivered_to=delivered, filtered_out=filtered,
                 total_count=len(followers), filter_count=len(delivered))
    after_send(state, msg_id, followers, delivered)  # MASSSENDJOBFINISH (mass_jobs.py)
    _sent_from_drafts(body)
    return ok("send job submission success", msg_id=msg_id, msg_data_id=msg_id)


@bp.post("/cgi-bin/message/mass/sendall")
def send_mass_to_all_or_tag():
    """群发 by filter: {"is_to_all": true} reaches every follower, {"is_to_all": false, "tag_id": N} the
    followers with tag N (none when no user has it). Recorded as a mass_send, like a send by openids."""
    state = mock_state()
    body = json_body()
    audience = body.get("filter")
    if not isinstance(audience, dict) or not isinstance(audience.get("is_to_all", False), bool):
        raise WeChatError(47001, "filter")
    to_all = audience.get("is_to_all", False)
    tag_id = audience.get("tag_id")
    if not to_all and (type(tag_id) is not int or tag_id <= 0):
        raise WeChatError(47001, "tag_id")
    msgtype = body.get("msgtype")
    if msgtype not in MASS_TYPES:
        raise WeChatError(40008)
    _content(body, msgtype)
    if body.get("clientmsgid"):
        state.claim_client_msg_id(str(body["clientmsgid"]))
    msg_id = state.next_msg_id()
    with state.lock:
        followers = sorted(user.openid for user in state.users.values()
                           if user.subscribed and (to_all or tag_id in user.tags))
    delivered, filtered = state.mass_deliver(followers)  # 4 a month per follower: the rest are filtered
    state.record("mass_send", None, body, msg_id=msg_id, delivered_to=delivered, filtered_out=filtered,
                 total_count=len(followers), filter_count=len(delivered))
    after_send(state, msg_id, followers, delivered)  # MASSSENDJOBFINISH (mass_jobs.py)
    _sent_from_drafts(body)
    return ok("send job submission success", msg_id=msg_id, msg_data_id=msg_id)


@bp.post("/cgi-bin/message/mass/preview")
def preview_mass():
    state = mock_state()
    body = json_body()
    openid = body.get("touser")
    state.follower(openid)
    msgtype = body.get("msgtype")
    if msgtype not in MASS_TYPES:
        raise WeChatError(40008)
    _content(body, msgtype)
    msg_id = state.next_msg_id()
    state.record("mass_preview", openid, body, msg_id=msg_id)
    return ok("preview success", msg_id=msg_id)
