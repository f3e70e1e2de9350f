"""WeChat-side records: followers, their follow history, and inbound messages (de-duplication)."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..shared.timeutil import utcnow


class Follower(db.Model):
    """A WeChat user (openid) of the bank's official account."""

    __tablename__ = "wechat_follower"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    nickname: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16), default="zh_CN")
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed_at: Mapped[datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    events: Mapped[list["FollowEvent"]] = relationship(back_populates="follower")


class FollowEvent(db.Model):
    """One subscribe or unsubscribe, as history for the dashboard and for audits."""

    __tablename__ = "wechat_follow_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("wechat_follower.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # subscribe | unsubscribe
    scene: Mapped[str | None] = mapped_column(String(128))  # qrscene_... when followed by QR code
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    follower: Mapped[Follower] = relationship(back_populates="events")


class InboundMessage(db.Model):
    """One message or event WeChat pushed, keyed for de-duplication of WeChat's retries.

    The unique `dedup_key` is claimed before the handler runs, so a retry arriving at any
    worker process finds the claim and gets the stored reply instead of running the handler again.
    """

    __tablename__ = "wechat_inbound_message"
    __table_args__ = (UniqueConstraint("dedup_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(96))
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="processing")  # processing|replied|late|failed
    reply_xml: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class AccessToken(db.Model):
    """The account's current API access token, shared by every worker process, CLI run and job.

    One row per AppID. The row is also the refresh lock: a refresh runs under `SELECT ... FOR UPDATE`
    on PostgreSQL (a write transaction on SQLite), so only one process at a time asks WeChat for a new
    token (each new token invalidates the previous one). See `token_store.py`.
    """

    __tablename__ = "wechat_access_token"
    __table_args__ = (UniqueConstraint("app_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str | None] = mapped_column(String(512))  # WeChat: reserve at least 512 characters
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC, as WeChat's expires_in says
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # UTC, when it was fetched
    version: Mapped[int] = mapped_column(Integer, default=0)  # number of refreshes so far
    # stable_token forced refreshes (20 a Beijing day, >= 30 s apart): the day (days since the epoch,
    # Beijing time), how many that day, and the last one (UTC)
    forced_day: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    forced_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    forced_at: Mapped[datetime | None] = mapped_column(DateTime)


class Interaction(db.Model):
    """The customer-service windows WeChat opened for a user (wechat/window.py): `last_at` the user's last
    message (48 hours, 5 messages), `event_at` the last menu click, follow or scan (1 minute, 3 messages),
    and how many customer-service messages each has used. `last_at`/`event_at` are None once WeChat answered
    45015 or 45047 (the windows are closed until the user acts again)."""

    __tablename__ = "wechat_interaction"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    event_at: Mapped[datetime | None] = mapped_column(DateTime)
    event_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
