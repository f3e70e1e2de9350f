"""Template messages (模板消息): the account's templates and sending one to a follower."""

from flask import Blueprint

from ...wechat.template_rules import value_problem
from .calls import json_body, mock_state, require_access_token
from .errors import WeChatError, ok
from .template_job_state import MAX_CLIENT_MSG_ID_CHARS
from .template_jobs import after_send
from .templates import PRIVATE_TEMPLATES

bp = Blueprint("mock_template", __name__)
bp.before_request(require_access_token)

MAX_URL_BYTES = 1024


@bp.get("/cgi-bin/template/get_all_private_template")
def all_private_templates():
    return {"template_list": [t.to_json() for t in PRIVATE_TEMPLATES.values()]}


@bp.post("/cgi-bin/message/template/send")
def send_template():
    state = mock_state()
    body = json_body()
    openid = body.get("touser")
    state.follower(openid)
    template = PRIVATE_TEMPLATES.get(body.get("template_id"))
    if template is None:
        raise WeChatError(40037)
    url = body.get("url")
    if url is not None and (not isinstance(url, str) or len(url.encode()) > MAX_URL_BYTES):
        raise WeChatError(40039)
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        raise WeChatError(47001)
    values = {}
    for keyword in template.keywords:
        item = (data or {}).get(keyword)
        value = item.get("value") if isinstance(item, dict) else None
        problem = value_problem(keyword, value)
        if problem:
            raise WeChatError(47003, f"data.{keyword}.value {problem}")
        values[keyword] = value
    client_msg_id = body.get("client_msg_id")
    if client_msg_id is not None and (not isinstance(client_msg_id, str) or not client_msg_id
                                      or len(client_msg_id) > MAX_CLIENT_MSG_ID_CHARS):
        raise WeChatError(47001)
    repeat = state.template_jobs.repeat_of(openid, client_msg_id, state.clock())
    if repeat is not None:  # the same send within 10 minutes: its msgid again, nothing new sent
        return ok(msgid=repeat)
    msgid = state.next_msg_id()
    state.template_jobs.sent_as(openid, client_msg_id, msgid, state.clock())
    state.record("template", openid, body, msgid=msgid, title=template.title, rendered=template.render(values))
    after_send(state, msgid)
    return ok(msgid=msgid)
