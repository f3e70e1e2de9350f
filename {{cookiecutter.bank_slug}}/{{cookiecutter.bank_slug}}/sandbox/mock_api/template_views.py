"""Template messages (模板消息): the account's templates and sending one to a follower."""

from flask import Blueprint

from .calls import json_body, mock_state, require_access_token
from .errors import WeChatError, ok
from .templates import PRIVATE_TEMPLATES, value_problem

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
    msgid = state.next_msg_id()
    state.record("template", openid, body, msgid=msgid, title=template.title, rendered=template.render(values))
    return ok(msgid=msgid)
