"""Where a WeChat user last was, as WeChat told us: a LOCATION event (上报地理位置, the account's location
report, every 5 s or on entering the chat when switched on in the mp platform) or a location message the
user sent (a place picked on a map). One row per openid, the newest wins; for the branch finder."""

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.timeutil import utcnow

SOURCE_EVENT = "event"  # LOCATION event: Latitude, Longitude, Precision (metres)
SOURCE_MESSAGE = "message"  # MsgType location: Location_X (latitude), Location_Y (longitude), Scale, Label


class UserLocation(db.Model):
    __tablename__ = "wechat_user_location"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    precision_m: Mapped[float | None] = mapped_column(Float)  # the event's Precision
    scale: Mapped[int | None] = mapped_column(Integer)  # the message's map zoom level
    label: Mapped[str | None] = mapped_column(String(200))  # the message's place name
    source: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # UTC
