"""群发 to a segment: the job is an ordinary 群发 (features/pushes: preview, 双人复核, one send) whose target is
the segment's WeChat tag. The segment is selected and its tag set when the job is made (so the preview and
the reviewer see the real count), and again right before the approved send (pushes.add_before_send), when
the audience is written down for the 4-a-month count. Refused with the reason, before anything is sent,
when the segment matches nobody or only followers who received 4 mass messages this month."""

from sqlalchemy import delete, select

from ...extensions import db
from ...settings.sections import Brand
from ...shared.i18n import _
from ..pushes.service import (
    TAG_PREFIX,
    TARGET_ALL,
    MassPush,
    PushError,
    add_before_send,
    create_article_job,
    create_job,
)
from .articles import ArticleError, content_digest, mass_sent, summary
from .models import ARTICLE_SAVED, Article, PushAudience, Segment, SegmentPush
from .segments import SegmentError, check_sendable, select_members, sync_tag


def create_segment_push(segment: Segment, product, staff_username: str, brand: Brand) -> MassPush:
    """Select the segment, set its tag and make the 群发 job (committed); SegmentError / PushError."""
    selection = select_members(segment)
    check_sendable(selection)
    sync_tag(segment, selection.eligible)
    db.session.commit()  # the tag exists on WeChat now: keep its id whatever follows
    job = create_job(product, f"{TAG_PREFIX}{segment.tag_id}", staff_username, brand)
    db.session.add(SegmentPush(push_id=job.id, segment_id=segment.id, members=len(selection.eligible),
                               excluded=len(selection.full)))
    db.session.flush()
    return job


def article_push(article: Article, segment: Segment | None, previewed: str | None, staff_username: str) -> MassPush:
    """A 群发 of an article in WeChat's draft box, to every follower or to a segment (committed); the text
    must be the previewed one. ArticleError / SegmentError / PushError."""
    if article.status != ARTICLE_SAVED or not article.media_id or mass_sent(article):
        raise ArticleError(_("请先把最新内容存入微信草稿箱并预览，再群发。"))
    if previewed != content_digest(article):
        raise ArticleError(_("图文在预览后有修改，请重新预览后再群发。"))
    if segment is None:
        job = create_article_job(article.media_id, summary(article), TARGET_ALL, staff_username)
        db.session.flush()
        return job
    selection = select_members(segment)
    check_sendable(selection)
    sync_tag(segment, selection.eligible)
    db.session.commit()
    job = create_article_job(article.media_id, summary(article), f"{TAG_PREFIX}{segment.tag_id}", staff_username)
    db.session.add(SegmentPush(push_id=job.id, segment_id=segment.id, members=len(selection.eligible),
                               excluded=len(selection.full)))
    db.session.flush()
    return job


def _check_article(job: MassPush) -> None:
    article = db.session.execute(select(Article).where(Article.media_id == job.media_id)).scalars().first()
    if article is None or article.status != ARTICLE_SAVED or summary(article) != job.content:
        raise PushError(_("图文在生成群发后有修改或已发布，请重新预览后新建群发。"))


def before_send(job: MassPush) -> None:
    """pushes' hook: an article job's article is unchanged; a segment job re-selects its members and re-tags
    them, or is refused (PushError)."""
    if job.media_id:
        _check_article(job)
    link = db.session.get(SegmentPush, job.id)
    if link is None:
        return
    segment = db.session.get(Segment, link.segment_id)
    try:
        selection = select_members(segment)
        check_sendable(selection)
        sync_tag(segment, selection.eligible)
    except SegmentError as exc:
        db.session.rollback()
        raise PushError(_("人群「%(name)s」：%(reason)s", name=segment.name, reason=exc.message)) from None
    if f"{TAG_PREFIX}{segment.tag_id}" != job.target:
        raise PushError(_("人群的微信标签已变更，请新建群发。"))
    link.members, link.excluded = len(selection.eligible), len(selection.full)
    db.session.execute(delete(PushAudience).where(PushAudience.push_id == job.id))
    db.session.add_all(PushAudience(push_id=job.id, openid=openid) for openid in selection.eligible)
    db.session.commit()


def install(app) -> None:
    add_before_send(before_send)
