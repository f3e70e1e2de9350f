"""The staff library of news articles (图文), through WeChat's draft box and publishing API:

    POST /cgi-bin/draft/add {"articles": [{title, author, digest, content, content_source_url,
                                           thumb_media_id, need_open_comment, only_fans_can_comment}]}
         -> {"media_id"}                         (a changed article before publishing: /cgi-bin/draft/update)
    POST /cgi-bin/freepublish/submit {"media_id"} -> {"publish_id", "msg_data_id"}
    POST /cgi-bin/freepublish/get {"publish_id"} -> {"publish_status": 0 published | 1 publishing | 2-6 failed,
                                                      "article_id", "article_detail": {"item": [{"article_url"}]}}
    POST /datacube/getarticletotal {"begin_date", "end_date"} (one day, yesterday at the latest)

WeChat's rules: title at most 32 characters (45003), author 16 (45110), digest 128 (45004), content under
20,000 characters and 1 MB with its scripts removed and outside images dropped (so the body is plain text,
sent as escaped paragraphs), content_source_url at most 1 KB, thumb_media_id a permanent image material
(40007). A draft that is published leaves the draft box. Publishing is asynchronous: submit says only that
the job was taken (53503 when the draft fails the publish check); freepublish/get tells the outcome.
"""

import hashlib
import html
import re
from datetime import UTC, date, timedelta

import requests
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from ...extensions import db
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.timeutil import utcnow
from ...wechat.client import get_client
from ...wechat.router import normalise
from ..pushes.service import WECHAT_MONTH_TZ, MassPush
from .models import (
    ARTICLE_DRAFT,
    ARTICLE_FAILED,
    ARTICLE_PUBLISHED,
    ARTICLE_PUBLISHING,
    ARTICLE_SAVED,
    Article,
    ArticleRead,
)

TITLE_MAX, AUTHOR_MAX, DIGEST_MAX, KEYWORD_MAX = 32, 16, 128, 32
BODY_MAX = 19_000  # characters of plain text: under WeChat's 20,000 once wrapped in <p>
URL_MAX = 512  # of the 1 KB WeChat allows
MEDIA_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")
URL = re.compile(r"https?://[^\s<>\"]{1,500}")
PUBLISH_STATES = {0: ARTICLE_PUBLISHED, 1: ARTICLE_PUBLISHING}
STATUS_LABELS = {ARTICLE_DRAFT: _l("草稿（未同步）"), ARTICLE_SAVED: _l("已存入微信草稿箱"),
                 ARTICLE_PUBLISHING: _l("发布中"), ARTICLE_PUBLISHED: _l("已发布"), ARTICLE_FAILED: _l("发布失败")}
PUBLISH_FAILURES = {2: _l("原创声明失败"), 3: _l("常规失败"), 4: _l("平台审核不通过"), 5: _l("成功后用户删除所有文章"),
                    6: _l("成功后系统封禁所有文章")}
READ_DAYS = 7  # WeChat reports an article's totals for 7 days after it went out


class ArticleError(DomainError):
    code, message = "article_refused", _l("图文未完成")


def _clean(form: dict, article: Article | None) -> dict:
    title = (form.get("title") or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise ArticleError(_("标题：请填写 1-%(n)s 个字。", n=TITLE_MAX))
    author = (form.get("author") or "").strip() or None
    if author and len(author) > AUTHOR_MAX:
        raise ArticleError(_("作者：最多 %(n)s 个字。", n=AUTHOR_MAX))
    digest = (form.get("digest") or "").strip() or None
    if digest and len(digest) > DIGEST_MAX:
        raise ArticleError(_("摘要：最多 %(n)s 个字。", n=DIGEST_MAX))
    body = (form.get("body") or "").replace("\r\n", "\n").strip()
    if not body or len(body) > BODY_MAX:
        raise ArticleError(_("正文：请填写 1-%(n)s 个字。", n=BODY_MAX))
    source_url = (form.get("source_url") or "").strip() or None
    if source_url and (len(source_url) > URL_MAX or not URL.fullmatch(source_url)):
        raise ArticleError(_("阅读原文链接：应为 http(s):// 开头的网址。"))
    thumb = (form.get("thumb_media_id") or "").strip()
    if not MEDIA_ID.fullmatch(thumb):
        raise ArticleError(_("封面素材 ID：请填写公众平台素材库中永久图片的 media_id。"))
    keyword = (form.get("keyword") or "").strip() or None
    if keyword:
        if len(keyword) > KEYWORD_MAX:
            raise ArticleError(_("回复关键词：最多 %(n)s 个字。", n=KEYWORD_MAX))
        keyword = normalise(keyword)
        taken = db.session.scalar(select(Article.id).where(Article.keyword == keyword))
        if taken is not None and (article is None or taken != article.id):
            raise ArticleError(_("回复关键词：已被另一篇图文使用。"))
    return {"title": title, "author": author, "digest": digest, "body": body, "source_url": source_url,
            "thumb_media_id": thumb, "keyword": keyword}


def save(form: dict, staff_username: str, article: Article | None = None) -> Article:
    """Store the article here (the caller audits and commits). A published article keeps its text: only the
    keyword may change."""
    values = _clean(form, article)
    if article is None:
        article = Article(created_by=staff_username, status=ARTICLE_DRAFT)
        db.session.add(article)
    elif article.status in (ARTICLE_PUBLISHING, ARTICLE_PUBLISHED):
        changed = [key for key, value in values.items() if key != "keyword" and getattr(article, key) != value]
        if changed:
            raise ArticleError(_("已发布的图文不能再修改内容（可修改回复关键词）；请新建一篇。"))
    elif article.status == ARTICLE_SAVED and any(getattr(article, k) != v for k, v in values.items() if k != "keyword"):
        article.status = ARTICLE_DRAFT  # WeChat's copy is older now: saved again (draft/update) before publishing
    for key, value in values.items():
        setattr(article, key, value)
    db.session.flush()
    return article


def content_html(article: Article) -> str:
    """The body as WeChat receives it: escaped paragraphs (no script, no outside image can slip in)."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", article.body) if part.strip()]
    return "".join("<p>" + html.escape(part).replace("\n", "<br>") + "</p>" for part in paragraphs)


def _wire(article: Article) -> dict:
    item = {"title": article.title, "author": article.author or "", "digest": article.digest or "",
            "content": content_html(article), "content_source_url": article.source_url or "",
            "thumb_media_id": article.thumb_media_id, "need_open_comment": 0, "only_fans_can_comment": 0}
    return item


def _call(path: str, body: dict, data_api: bool = False) -> dict:
    """POST to /cgi-bin/<path>, or with `data_api` to /datacube/<path> (the data API's own root)."""
    client = get_client()
    extra = {"api_base_url": client.API_BASE_URL.removesuffix("cgi-bin/") + "datacube/"} if data_api else {}
    try:
        return client.post(path, data=body, **extra)
    except WeChatClientException as exc:
        raise ArticleError(_("微信返回错误 %(code)s：%(message)s", code=exc.errcode, message=exc.errmsg)[:300]) \
            from None
    except requests.RequestException as exc:
        raise ArticleError(_("无法连接微信接口（%(kind)s）", kind=type(exc).__name__)) from None


def mass_sent(article: Article) -> bool:
    """Its draft went out by 群发 (then WeChat removed it from the draft box)."""
    return bool(article.media_id) and db.session.scalar(
        select(MassPush.id).where(MassPush.media_id == article.media_id, MassPush.msg_id.is_not(None)).limit(1)) \
        is not None


def summary(article: Article) -> str:
    """The article as a 群发 job shows it to staff; its version ties the job to the previewed text."""
    return "\n".join(part for part in (_("【图文】%(title)s", title=article.title), article.digest or "",
                                        _("版本 %(v)s", v=content_digest(article)[:12])) if part)


def save_to_wechat(article: Article) -> None:
    """Put the article in WeChat's draft box (add, or update the draft WeChat has). The caller commits."""
    if article.status in (ARTICLE_PUBLISHING, ARTICLE_PUBLISHED):
        raise ArticleError(_("该图文已发布。"))
    if mass_sent(article):  # WeChat removed the draft when it was sent: a new draft
        article.media_id = None
    if article.media_id:
        _call("draft/update", {"media_id": article.media_id, "index": 0, "articles": _wire(article)})
    else:
        answer = _call("draft/add", {"articles": [_wire(article)]})
        article.media_id = str(answer.get("media_id") or "")[:128] or None
        if not article.media_id:
            raise ArticleError(_("微信没有返回草稿的 media_id。"))
    article.status, article.result = ARTICLE_SAVED, _("已存入微信草稿箱")


def publish(article: Article, previewed: str | None) -> None:
    """Submit the saved draft for publishing, once (the caller commits); `previewed` is the digest the
    preview page showed, so what goes out is what staff read."""
    if article.status != ARTICLE_SAVED or not article.media_id:
        raise ArticleError(_("请先把最新内容存入微信草稿箱并预览，再发布。"))
    if previewed != content_digest(article):
        raise ArticleError(_("图文在预览后有修改，请重新预览后再发布。"))
    if mass_sent(article):
        raise ArticleError(_("该草稿已群发，微信已将其移出草稿箱；请重新存入草稿箱后再发布。"))
    answer = _call("freepublish/submit", {"media_id": article.media_id})
    article.publish_id = str(answer.get("publish_id") or "")[:64] or None
    article.msg_data_id = str(answer.get("msg_data_id") or "")[:64] or None
    article.status, article.result = ARTICLE_PUBLISHING, _("发布任务已提交")
    refresh(article)


def refresh(article: Article) -> None:
    """Ask WeChat how the publish job ended (freepublish/get); the caller commits."""
    if article.status != ARTICLE_PUBLISHING or not article.publish_id:
        return
    answer = _call("freepublish/get", {"publish_id": article.publish_id})
    status = answer.get("publish_status")
    if status == 0:
        items = (answer.get("article_detail") or {}).get("item") or []
        article.article_id = str(answer.get("article_id") or "")[:128] or None
        article.url = str(items[0].get("article_url") or "")[:512] if items else None
        article.status, article.published_at, article.result = ARTICLE_PUBLISHED, utcnow(), _("已发布")
        article.media_id = None  # WeChat removed the draft when it was published
    elif status in PUBLISH_FAILURES:
        article.status = ARTICLE_FAILED
        article.result = _("发布失败：%(reason)s", reason=PUBLISH_FAILURES[status])


def published_for_keyword(text: str) -> Article | None:
    keyword = normalise(text or "")
    if not keyword:
        return None
    return db.session.execute(select(Article).where(Article.keyword == keyword,
                                                    Article.status == ARTICLE_PUBLISHED)).scalar_one_or_none()


def fetch_reads(day: date) -> int:
    """Store WeChat's totals of `day` (/datacube/getarticletotal, one day a call) for our published articles;
    how many rows were stored or updated. The caller commits."""
    ours = {a.msg_data_id: a for a in db.session.execute(select(Article).where(Article.msg_data_id.is_not(None)))
            .scalars()}
    answer = _call("getarticletotal", {"begin_date": day.isoformat(), "end_date": day.isoformat()},
                   data_api=True)
    stored = 0
    for entry in answer.get("list") or []:
        article = ours.get(str(entry.get("msgid", "")).split("_")[0])
        if article is None:
            continue
        for detail in entry.get("details") or []:
            stat_date = date.fromisoformat(str(detail.get("stat_date")))
            row = db.session.execute(select(ArticleRead).where(ArticleRead.article_id == article.id,
                                                               ArticleRead.stat_date == stat_date)).scalar_one_or_none()
            row = row or ArticleRead(article_id=article.id, stat_date=stat_date)
            row.read_user = int(detail.get("int_page_read_user") or 0)
            row.read_count = int(detail.get("int_page_read_count") or 0)
            row.share_count = int(detail.get("share_count") or 0)
            row.fetched_at = utcnow()
            db.session.add(row)
            stored += 1
    return stored


def fetch_recent_reads(now=None) -> int:
    """The last READ_DAYS days up to yesterday in Beijing time (WeChat has no figures for today)."""
    today = (now or utcnow()).replace(tzinfo=UTC).astimezone(WECHAT_MONTH_TZ).date()
    return sum(fetch_reads(today - timedelta(days=back)) for back in range(READ_DAYS, 0, -1))


def content_digest(article: Article) -> str:
    """What the preview showed: publishing checks the article is still exactly that."""
    parts = (article.title, article.author or "", article.digest or "", article.body, article.source_url or "",
             article.thumb_media_id)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
