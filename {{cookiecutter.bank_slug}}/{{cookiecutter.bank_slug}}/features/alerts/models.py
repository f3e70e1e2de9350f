"""The alerts feature's own table (the customer's alert rules) and its names for the outbox's table and states:
a transaction alert is an outbox row (outbox/models.py) of topic `transaction_alert`."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...outbox.models import (  # noqa: F401 - re-exported: the alerts' names for the outbox's table
    CHANNEL_CUSTOMER_SERVICE,
    CHANNEL_SMS,
    CHANNEL_WECHAT,
    DELIVERED,
    EXPIRED,
    FINAL_STATES,
    KINDS,
    OPEN_STATES,
    PENDING,
    REASON_ALERTS_OFF,
    REASON_BELOW_MINIMUM,
    REASON_INVALID_OPENID,
    REASON_LABELS,
    REASON_NOT_BOUND,
    REASON_NOT_FOLLOWING,
    REASON_REJECTED,
    REASON_RETRIES_EXHAUSTED,
    REASON_SMS_FAILED,
    REASON_UNKNOWN_TOPIC,
    REASON_WINDOW_CLOSED,
    SENDING,
    SMS,
    SOURCE_CORE,
    SOURCE_LEDGER,
    STATES,
    TOPIC_TRANSACTION_ALERT,
    UNDELIVERABLE,
    Alert,
    Notice,
)
from ...shared.timeutil import utcnow


class AlertPreference(db.Model):
    """A WeChat user's alert settings (H5 动账提醒设置); without a row, the configured defaults apply."""

    __tablename__ = "alert_preference"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    min_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    sms_fallback: Mapped[bool] = mapped_column(Boolean, default=False)  # SMS when WeChat cannot deliver
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AlertChannelChoice(db.Model):
    """The channel a customer chose for one bound card's alerts: wechat (the default, without a row), app
    (the bank's mobile banking app) or sms. Keyed by the openid and the account, so a card bound again by
    someone else starts from the default."""

    __tablename__ = "alert_channel_choice"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
