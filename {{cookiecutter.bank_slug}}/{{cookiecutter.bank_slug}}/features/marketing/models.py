"""The marketing feature's tables: segments (人群) and their WeChat tag mirror, the audience of each 群发 sent
to a segment, customers' consent to marketing contact, and the branch follow-up list of product interest."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.timeutil import utcnow

BOUND_ANY, BOUND_YES, BOUND_NO = "any", "bound", "unbound"
BOUND_CHOICES = (BOUND_ANY, BOUND_YES, BOUND_NO)
SOURCE_NONE = "none"  # followed through no QR code of ours
SOURCE_KIND_PREFIX, SOURCE_CODE_PREFIX = "kind:", "code:"  # kind:branch | kind:staff | kind:campaign, code:<id>


class Segment(db.Model):
    """A set of followers picked by criteria (every criterion left empty matches everyone):

    * branch_code: the follower's branch (of an active card binding, else of the QR code they followed through);
    * bound: bound a card or not;
    * source: how they followed (none / a kind of QR code / one code);
    * wechat_tag_id: a WeChat user tag they carry (asked of WeChat: /cgi-bin/user/tag/get);
    * product_id: they opened this product's H5 page;
    * active_days: their last interaction (message, menu click, follow or scan) within these days.

    A 群发 goes to a WeChat tag: `tag_id` is the tag that mirrors the segment (/cgi-bin/tags/create); its
    members are set right before each send (user/tag/get, then batchtagging / batchuntagging, 50 openids a
    call), so WeChat's own list is the truth and nothing else is kept."""

    __tablename__ = "marketing_segment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)  # also the WeChat tag's name (30 characters)
    branch_code: Mapped[str | None] = mapped_column(String(16))
    bound: Mapped[str] = mapped_column(String(8), default=BOUND_ANY)
    source: Mapped[str | None] = mapped_column(String(40))
    wechat_tag_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("wealth_product.id"))
    active_days: Mapped[int | None] = mapped_column(Integer)
    tag_id: Mapped[int | None] = mapped_column(Integer)  # the WeChat tag mirroring the segment, once created
    synced_at: Mapped[datetime | None] = mapped_column(DateTime)
    synced_count: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SegmentPush(db.Model):
    """A 群发 job sent to a segment (its WeChat tag): which segment, and who it was sent to."""

    __tablename__ = "marketing_segment_push"

    push_id: Mapped[int] = mapped_column(ForeignKey("mass_push.id"), primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("marketing_segment.id"), index=True)
    members: Mapped[int | None] = mapped_column(Integer)  # tagged for the send
    excluded: Mapped[int | None] = mapped_column(Integer)  # left out: 4 mass messages this month already


class PushAudience(db.Model):
    """One openid a segment 群发 was sent to (its tag's members at the send): counts the 4-a-month rule."""

    __tablename__ = "marketing_push_audience"

    push_id: Mapped[int] = mapped_column(ForeignKey("mass_push.id"), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Consent(db.Model):
    """A customer's consent to marketing contact by their branch (营销联系授权), given and revoked by the
    customer on the H5 page. The row keeps when it was last given and last revoked."""

    __tablename__ = "marketing_consent"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FollowUp(db.Model):
    """A branch's follow-up of a customer's interest in a product (the list itself is computed from the
    product-page views; this row records that staff contacted the customer)."""

    __tablename__ = "marketing_follow_up"
    __table_args__ = (UniqueConstraint("openid", "product_id", name="uq_marketing_follow_up"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(ForeignKey("wealth_product.id"))
    contacted_by: Mapped[str] = mapped_column(String(64))
    contacted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200))


ARTICLE_DRAFT, ARTICLE_SAVED, ARTICLE_PUBLISHING, ARTICLE_PUBLISHED, ARTICLE_FAILED = (
    "draft", "saved", "publishing", "published", "failed")


class Article(db.Model):
    """A news article (图文) of the staff library: written here, saved to WeChat's draft box (/cgi-bin/draft/add,
    `media_id`), published (/cgi-bin/freepublish/submit, `publish_id`; the outcome from /cgi-bin/freepublish/get:
    `article_id` and `url`), then answered to a keyword (`keyword`) and counted by WeChat's data API."""

    __tablename__ = "marketing_article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(32))
    author: Mapped[str | None] = mapped_column(String(16))
    digest: Mapped[str | None] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)  # plain text, paragraphs by blank lines; sent as escaped <p>
    source_url: Mapped[str | None] = mapped_column(String(512))  # 阅读原文, e.g. a product's H5 page
    thumb_media_id: Mapped[str] = mapped_column(String(128))  # the cover: a permanent image material
    keyword: Mapped[str | None] = mapped_column(String(32), unique=True)  # answered with the article once published
    status: Mapped[str] = mapped_column(String(16), default=ARTICLE_DRAFT)
    media_id: Mapped[str | None] = mapped_column(String(128))
    publish_id: Mapped[str | None] = mapped_column(String(64))
    msg_data_id: Mapped[str | None] = mapped_column(String(64), index=True)
    article_id: Mapped[str | None] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(String(512))
    result: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)


class ArticleRead(db.Model):
    """WeChat's figures for a published article on one day (/datacube/getarticletotal): cumulative reads."""

    __tablename__ = "marketing_article_read"
    __table_args__ = (UniqueConstraint("article_id", "stat_date", name="uq_marketing_article_read"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("marketing_article.id"), index=True)
    stat_date: Mapped[date] = mapped_column(Date)
    read_user: Mapped[int] = mapped_column(Integer, default=0)  # int_page_read_user
    read_count: Mapped[int] = mapped_column(Integer, default=0)  # int_page_read_count
    share_count: Mapped[int] = mapped_column(Integer, default=0)
    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
