"""Checking keyword rules as staff enter them, and finding the rule a customer's text matches."""

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...shared.i18n import _
from ...wechat.router import normalise
from .models import MATCH_CONTAINS, MATCH_EXACT, MATCHES, KeywordReply

MAX_KEYWORD_CHARS = 32
MAX_REPLY_CHARS = 600
MAX_REPLY_BYTES = 2048  # WeChat's limit for a text message


class RuleError(ValueError):
    """A rule staff cannot save; the message is Chinese, for the form."""


def clean_keyword(raw: str | None, router=None) -> str:
    """The keyword as stored (normalised); RuleError when empty, too long, or a built-in keyword."""
    keyword = normalise(raw or "")
    if not keyword:
        raise RuleError(_("请填写关键词"))
    if len(keyword) > MAX_KEYWORD_CHARS:
        raise RuleError(_("关键词最多 %(n)s 个字", n=MAX_KEYWORD_CHARS))
    router = router or current_app.extensions["wechat_router"]
    if router.handles_text(keyword):
        raise RuleError(_("「%(keyword)s」是系统内置关键词，已有固定回复，不能再设为关键词回复", keyword=keyword))
    return keyword


def check_match(match: str | None) -> str:
    if match not in MATCHES:
        raise RuleError(_("匹配方式只能是「完全匹配」或「包含」"))
    return match


def check_reply_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise RuleError(_("请填写回复内容"))
    if len(text) > MAX_REPLY_CHARS:
        raise RuleError(_("回复内容最多 %(n)s 个字（现有 %(count)s 个）", n=MAX_REPLY_CHARS, count=len(text)))
    size = len(text.encode("utf-8"))
    if size > MAX_REPLY_BYTES:
        raise RuleError(_("回复内容超过微信文字消息上限 %(limit)s 字节（现有 %(size)s 字节）",
                          limit=MAX_REPLY_BYTES, size=size))
    return text


def keyword_taken(keyword: str, except_id: int | None = None) -> bool:
    query = select(KeywordReply.id).where(KeywordReply.keyword == keyword)
    if except_id is not None:
        query = query.where(KeywordReply.id != except_id)
    return db.session.execute(query).first() is not None


def find_reply(text: str) -> str | None:
    """The reply of the enabled rule `text` matches: an exact rule first, else the longest keyword
    contained in it (the oldest rule on a tie); None when no rule matches."""
    message = normalise(text)
    if not message:
        return None
    exact = db.session.execute(
        select(KeywordReply.reply_text).where(KeywordReply.enabled.is_(True), KeywordReply.match == MATCH_EXACT,
                                              KeywordReply.keyword == message)
    ).scalar_one_or_none()
    if exact is not None:
        return exact
    contains = db.session.execute(
        select(KeywordReply.keyword, KeywordReply.reply_text)
        .where(KeywordReply.enabled.is_(True), KeywordReply.match == MATCH_CONTAINS)
        .order_by(KeywordReply.id)
    ).all()
    found = [(len(row.keyword), -index, row.reply_text) for index, row in enumerate(contains) if row.keyword in message]
    return max(found)[2] if found else None
