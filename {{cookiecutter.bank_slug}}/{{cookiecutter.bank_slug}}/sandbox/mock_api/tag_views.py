"""User tags (用户标签管理) as WeChat runs them:

    POST /cgi-bin/tags/create {"tag": {"name": ...}}            -> {"tag": {"id", "name"}}
    GET  /cgi-bin/tags/get                                      -> {"tags": [{"id", "name", "count"}]}
    POST /cgi-bin/tags/members/batchtagging   {"openid_list": [...], "tagid": N}
    POST /cgi-bin/tags/members/batchuntagging {"openid_list": [...], "tagid": N}
    POST /cgi-bin/user/tag/get {"tagid": N, "next_openid": ""} -> {"count", "data": {"openid": [...]},
                                                                    "next_openid"}

Rules enforced: at most 100 tags (45056); a name 1-30 characters (45158) and unique (45157); tags 0-2 are
WeChat's (45058); 1-50 openids a batch (40032); an unknown tag 45159; an openid the account does not know
40003; a follower carries at most 20 tags (45059); user/tag/get answers 10,000 openids a page. A tag
exists when created here or carried by a user the test or the simulator added (made on mp.weixin.qq.com).
"""

from flask import Blueprint

from .calls import json_body, mock_state, require_access_token
from .errors import WeChatError, ok
from .marketing_state import SYSTEM_TAGS

bp = Blueprint("mock_tags", __name__)
bp.before_request(require_access_token)

MAX_TAGS = 100
TAG_NAME_MAX = 30
BATCH_MAX = 50
USER_TAGS_MAX = 20
PAGE = 10_000


def _exists(state, tag_id) -> bool:
    return type(tag_id) is int and (tag_id in state.marketing.tags or tag_id in SYSTEM_TAGS
                                    or any(tag_id in user.tags for user in state.users.values()))


@bp.post("/cgi-bin/tags/create")
def create_tag():
    state = mock_state()
    body = json_body()
    tag = body.get("tag")
    name = tag.get("name") if isinstance(tag, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise WeChatError(45157)
    if len(name) > TAG_NAME_MAX:
        raise WeChatError(45158)
    with state.lock:
        tags = state.marketing.tags
        if name in tags.values() or name in SYSTEM_TAGS.values():
            raise WeChatError(45157)
        if len(tags) >= MAX_TAGS:
            raise WeChatError(45056)
        tag_id = next(state.marketing.tag_ids)
        tags[tag_id] = name
    state.record("tag", None, body, tag_id=tag_id)
    return {"tag": {"id": tag_id, "name": name}}


@bp.get("/cgi-bin/tags/get")
def list_tags():
    state = mock_state()
    with state.lock:
        named = {**SYSTEM_TAGS, **state.marketing.tags}
        return {"tags": [{"id": tag_id, "name": name,
                          "count": sum(1 for user in state.users.values() if tag_id in user.tags)}
                         for tag_id, name in sorted(named.items())]}


def _batch(untag: bool):
    state = mock_state()
    body = json_body()
    openids, tag_id = body.get("openid_list"), body.get("tagid")
    if not isinstance(openids, list) or not 1 <= len(openids) <= BATCH_MAX:
        raise WeChatError(40032)
    with state.lock:
        if tag_id in SYSTEM_TAGS:
            raise WeChatError(45058)
        if not _exists(state, tag_id):
            raise WeChatError(45159)
        users = [state.users.get(openid) if isinstance(openid, str) else None for openid in openids]
        if None in users:
            raise WeChatError(40003)
        if not untag and any(tag_id not in u.tags and len(u.tags) >= USER_TAGS_MAX for u in users):
            raise WeChatError(45059)
        for user in users:  # all or nothing: every check passed
            if untag and tag_id in user.tags:
                user.tags.remove(tag_id)
            elif not untag and tag_id not in user.tags:
                user.tags.append(tag_id)
    state.record("untag" if untag else "tagging", None, body, tag_id=tag_id, count=len(openids))
    return ok()


@bp.post("/cgi-bin/tags/members/batchtagging")
def batch_tagging():
    return _batch(untag=False)


@bp.post("/cgi-bin/tags/members/batchuntagging")
def batch_untagging():
    return _batch(untag=True)


@bp.post("/cgi-bin/user/tag/get")
def tag_followers():
    state = mock_state()
    body = json_body()
    tag_id, next_openid = body.get("tagid"), body.get("next_openid") or ""
    if not isinstance(next_openid, str):
        raise WeChatError(47001, "next_openid")
    with state.lock:
        if not _exists(state, tag_id):
            raise WeChatError(45159)
        openids = sorted(user.openid for user in state.users.values() if user.subscribed and tag_id in user.tags)
    if next_openid:
        openids = [openid for openid in openids if openid > next_openid]
    page = openids[:PAGE]
    return {"count": len(page), "data": {"openid": page}, "next_openid": page[-1] if page else ""}
