"""The draft box (草稿箱), publishing (发布能力) and the article figures (图文分析) as WeChat runs them:

    POST /cgi-bin/draft/add          {"articles": [...]} -> {"media_id"}
    POST /cgi-bin/draft/update       {"media_id", "index", "articles": {...}}
    POST /cgi-bin/freepublish/submit {"media_id"} -> {"publish_id", "msg_data_id"}
    POST /cgi-bin/freepublish/get    {"publish_id"} -> {"publish_status", "article_id", "article_detail"}
    POST /datacube/getarticletotal   {"begin_date", "end_date"} -> {"list": [{"msgid", "details": [...]}]}

Rules enforced: 1-8 articles a draft (44003 none, 45008 more); title 1-32 characters (44003 empty,
45003), author 16 (45110), digest 128 (45004), content 1-19,999 characters and under 1 MB (44004 / 45002);
a <script> in the content fails the publish check (53503); content_source_url at most 1 KB (40039);
thumb_media_id must be a permanent image of the account (40007); an unknown draft 40007; a published
draft leaves the draft box. The data API takes one day (begin_date = end_date, 61501 otherwise), in
YYYY-MM-DD (61500), up to yesterday in Beijing time (61501).

Control: PUT /_mock/publishing {"publish_outcome": 0 | 1 | 3} (the status a submitted draft ends with);
POST /_mock/article_reads {"msg_data_id", "stat_date", "int_page_read_user", "int_page_read_count",
"share_count"} (the figures WeChat will report); POST /_mock/materials {"media_id"} (a permanent image).
"""

import re
from datetime import UTC, date, datetime

from flask import Blueprint, jsonify

from .calls import json_body, mock_state, require_access_token
from .control_views import _body
from .errors import WeChatError, ok
from .marketing_state import Draft, PublishJob

bp = Blueprint("mock_content", __name__)
bp.before_request(require_access_token)
control = Blueprint("mock_content_control", __name__, url_prefix="/_mock")

MAX_ARTICLES = 8
TITLE_MAX, AUTHOR_MAX, DIGEST_MAX = 32, 16, 128
CONTENT_MAX_CHARS, CONTENT_MAX_BYTES = 20_000, 1024 * 1024
URL_MAX_BYTES = 1024
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BEIJING_OFFSET = 8 * 3600
SCRIPT = re.compile(r"<\s*script", re.IGNORECASE)


def _check_article(state, item) -> None:
    if not isinstance(item, dict):
        raise WeChatError(44003)
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise WeChatError(44003)
    if len(title) > TITLE_MAX:
        raise WeChatError(45003)
    if len(str(item.get("author") or "")) > AUTHOR_MAX:
        raise WeChatError(45110)
    if len(str(item.get("digest") or "")) > DIGEST_MAX:
        raise WeChatError(45004)
    content = item.get("content")
    if not isinstance(content, str) or not content.strip():
        raise WeChatError(44004)
    if len(content) >= CONTENT_MAX_CHARS or len(content.encode()) >= CONTENT_MAX_BYTES:
        raise WeChatError(45002)
    if len(str(item.get("content_source_url") or "").encode()) > URL_MAX_BYTES:
        raise WeChatError(40039)
    with state.lock:
        if item.get("thumb_media_id") not in state.marketing.materials:
            raise WeChatError(40007, "thumb_media_id")


@bp.post("/cgi-bin/draft/add")
def add_draft():
    state = mock_state()
    body = json_body()
    articles = body.get("articles")
    if not isinstance(articles, list) or not articles:
        raise WeChatError(44003)
    if len(articles) > MAX_ARTICLES:
        raise WeChatError(45008)
    for item in articles:
        _check_article(state, item)
    with state.lock:
        media_id = f"draft-{next(state.marketing.ids)}"
        state.marketing.drafts[media_id] = Draft(media_id, [dict(item) for item in articles], int(state.clock()))
    state.record("draft", None, body, media_id=media_id)
    return {"media_id": media_id, "item": []}


@bp.post("/cgi-bin/draft/update")
def update_draft():
    state = mock_state()
    body = json_body()
    index, item = body.get("index"), body.get("articles")
    with state.lock:
        draft = state.marketing.drafts.get(body.get("media_id"))
    if draft is None:
        raise WeChatError(40007)
    if type(index) is not int or not 0 <= index < len(draft.articles):
        raise WeChatError(47003, "index")
    _check_article(state, item)
    with state.lock:
        draft.articles[index] = dict(item)
    state.record("draft", None, body, media_id=draft.media_id, update=True)
    return ok()


@bp.post("/cgi-bin/freepublish/submit")
def submit_publish():
    state = mock_state()
    body = json_body()
    media_id = body.get("media_id")
    with state.lock:
        draft = state.marketing.drafts.get(media_id)
        if draft is None:
            raise WeChatError(40007)
        if any(SCRIPT.search(item.get("content", "")) for item in draft.articles):
            raise WeChatError(53503)
        publish_id = str(next(state.marketing.ids))
        msg_data_id = str(next(state.marketing.ids))
        outcome = state.marketing.publish_outcome
        job = PublishJob(publish_id, media_id, outcome, msg_data_id=msg_data_id)
        if outcome == 0:
            job.article_id = f"art-{publish_id}"
            job.article_urls = [f"https://mp.weixin.qq.com/s/{job.article_id}-{i}" for i in range(len(draft.articles))]
            job.published_at = int(state.clock())
            del state.marketing.drafts[media_id]  # published: out of the draft box
        state.marketing.publishes[publish_id] = job
    state.record("publish", None, body, publish_id=publish_id, publish_status=outcome)
    return ok(publish_id=publish_id, msg_data_id=msg_data_id)


@bp.post("/cgi-bin/freepublish/get")
def get_publish():
    state = mock_state()
    body = json_body()
    with state.lock:
        job = state.marketing.publishes.get(str(body.get("publish_id")))
    if job is None:
        raise WeChatError(47003, "publish_id")
    answer = {"publish_id": job.publish_id, "publish_status": job.status}
    if job.status == 0:
        answer["article_id"] = job.article_id
        answer["article_detail"] = {"count": len(job.article_urls),
                                    "item": [{"idx": i + 1, "article_url": url} for i, url in
                                             enumerate(job.article_urls)]}
    elif job.status >= 2:
        answer["fail_idx"] = [1]
    return answer


@bp.post("/datacube/getarticletotal")
def article_total():
    state = mock_state()
    body = json_body()
    begin, end = body.get("begin_date"), body.get("end_date")
    if not (isinstance(begin, str) and DATE.fullmatch(begin) and isinstance(end, str) and DATE.fullmatch(end)):
        raise WeChatError(61500)
    try:
        day = date.fromisoformat(begin)
    except ValueError:
        raise WeChatError(61500) from None
    today = datetime.fromtimestamp(state.clock() + BEIJING_OFFSET, UTC).date()
    if begin != end or day >= today:
        raise WeChatError(61501)
    with state.lock:
        published = {job.msg_data_id: job for job in state.marketing.publishes.values() if job.status == 0}
        reads = dict(state.marketing.article_reads)
    found = []
    for (msg_data_id, stat_date), figures in sorted(reads.items()):
        job = published.get(msg_data_id)
        if job is None or stat_date != begin:
            continue
        found.append({"ref_date": begin, "msgid": f"{msg_data_id}_1", "title": "",
                      "details": [{"stat_date": stat_date, "target_user": 0, **figures}]})
    return {"list": found}


@control.put("/publishing")
def set_publishing():
    data = _body()
    if data is None or set(data) != {"publish_outcome"} or data["publish_outcome"] not in (0, 1, 2, 3, 4):
        return jsonify(error="请求体须为 {\"publish_outcome\": 0|1|2|3|4} the body must name publish_outcome"), 400
    state = mock_state()
    with state.lock:
        state.marketing.publish_outcome = data["publish_outcome"]
    return {"publish_outcome": data["publish_outcome"]}


FIGURES = ("int_page_read_user", "int_page_read_count", "share_count")


@control.post("/article_reads")
def add_reads():
    data = _body()
    if (data is None or not isinstance(data.get("msg_data_id"), str) or not isinstance(data.get("stat_date"), str)
            or not DATE.fullmatch(data["stat_date"])
            or any(type(data.get(key, 0)) is not int or data.get(key, 0) < 0 for key in FIGURES)):
        return jsonify(error="msg_data_id, stat_date (YYYY-MM-DD) 与非负整数 int_page_read_user / "
                             "int_page_read_count / share_count required"), 400
    state = mock_state()
    with state.lock:
        state.marketing.article_reads[(data["msg_data_id"], data["stat_date"])] = {
            key: data.get(key, 0) for key in FIGURES}
    return {"ok": True}


@control.post("/materials")
def add_material():
    data = _body()
    media_id = (data or {}).get("media_id")
    if not isinstance(media_id, str) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,128}", media_id):
        return jsonify(error="media_id required"), 400
    state = mock_state()
    with state.lock:
        state.marketing.materials.add(media_id)
    return {"media_id": media_id}
