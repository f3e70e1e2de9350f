"""The mock's memory for marketing: the account's user tags (用户标签), permanent image materials, drafts
(草稿箱), publish jobs (发布) and the article figures the data API (数据统计) reports. Guarded by the state's lock."""

import itertools
from dataclasses import dataclass, field

SYSTEM_TAGS = {0: "未分组", 1: "黑名单", 2: "星标组"}  # WeChat's own: cannot be changed (45058)
FIRST_TAG_ID = 100
SANDBOX_COVER_MEDIA_ID = "sandbox-cover-0001"  # a permanent image the sandbox account already has


@dataclass
class Draft:
    media_id: str
    articles: list[dict]
    created_at: int


@dataclass
class PublishJob:
    publish_id: str
    media_id: str
    status: int  # 0 published, 1 publishing, 2 originality check failed, 3 failed, 4 review failed ...
    article_id: str | None = None
    article_urls: list[str] = field(default_factory=list)
    msg_data_id: str = ""
    published_at: int | None = None


@dataclass
class MarketingState:
    tags: dict[int, str] = field(default_factory=dict)  # id -> name (the account's own, FIRST_TAG_ID on)
    tag_ids: itertools.count = field(default_factory=lambda: itertools.count(FIRST_TAG_ID))
    materials: set[str] = field(default_factory=lambda: {SANDBOX_COVER_MEDIA_ID})  # permanent images
    drafts: dict[str, Draft] = field(default_factory=dict)
    publishes: dict[str, PublishJob] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(2_247_500_000))
    # the data API's figures: (msgid "<msg_data_id>_<index>", stat date "YYYY-MM-DD") -> reads etc.
    article_reads: dict[tuple[str, str], dict] = field(default_factory=dict)
    publish_outcome: int = 0  # publish_status a submitted draft ends with: 0 published, 1 stays publishing, 3 failed
