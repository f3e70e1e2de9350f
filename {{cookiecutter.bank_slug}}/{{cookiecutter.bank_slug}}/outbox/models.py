"""The outbox table: one row per notice to a customer, written in the same database transaction as the
business change it tells of (a posting, a core push, a transfer's outcome). The table keeps its first
name, `alert`: transaction alerts (动账提醒, topic `transaction_alert`) were its first notices. `topic`
says which registered topic (topics.py) resolves, renders and words a row; `payload` (JSON text) carries
a notice's own fields, `openid` its recipient when the writer knows it already.

A notice is `pending` until a dispatcher claims it (`sending`, with a lease: `next_attempt_at` is then
the lease's end, so a killed dispatcher's batch is claimed again once the lease runs out). It ends in
one final state: `delivered` (WeChat template message), `sms` (sent by SMS instead), `undeliverable`
(with `final_reason`) or `expired` (older than ALERT_MAX_AGE_MINUTES before it could go out). `channel`
says how a delivered notice went: template message, customer-service message or SMS; never two.
"""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..shared.i18n import _l
from ..shared.timeutil import utcnow

SOURCE_LEDGER = "ledger"  # a posting of the built-in ledger
SOURCE_CORE = "core"  # pushed by the bank's core (API) or imported from its end-of-day file

TOPIC_TRANSACTION_ALERT = "transaction_alert"  # the default: every row written before topics existed

PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
SMS = "sms"
UNDELIVERABLE = "undeliverable"
EXPIRED = "expired"
STATES = (PENDING, SENDING, DELIVERED, SMS, UNDELIVERABLE, EXPIRED)
OPEN_STATES = (PENDING, SENDING)
FINAL_STATES = (DELIVERED, SMS, UNDELIVERABLE, EXPIRED)

CHANNEL_WECHAT = "wechat"  # a template message
CHANNEL_CUSTOMER_SERVICE = "kefu"  # a customer-service (客服) text message, inside WeChat's 48-hour window
CHANNEL_SMS = "sms"
CHANNEL_APP = "app"  # the bank's mobile banking app, through its push platform (app_push.py)
CHANNELS_CHOSEN = (CHANNEL_WECHAT, CHANNEL_APP, CHANNEL_SMS)  # what a customer may choose per card

# Why an alert ended undeliverable (final_reason); the admin panel and metrics show these.
REASON_NOT_BOUND = "not_bound"  # no WeChat user has this account bound
REASON_ALERTS_OFF = "alerts_off"  # the customer switched alerts off
REASON_BELOW_MINIMUM = "below_minimum"  # under the customer's minimum amount
REASON_NOT_FOLLOWING = "not_following"  # 43004 / unsubscribed, and no SMS opt-in
REASON_INVALID_OPENID = "invalid_openid"  # 40003, and no SMS opt-in
REASON_SMS_FAILED = "sms_failed"
REASON_RETRIES_EXHAUSTED = "retries_exhausted"
REASON_REJECTED = "wechat_rejected"  # another errcode: the message itself is unfit (47003, 40037 ...)
REASON_WINDOW_CLOSED = "window_closed"  # no template, the 48-hour window closed (45015), and no SMS opt-in
REASON_UNKNOWN_TOPIC = "unknown_topic"  # no installed feature registered the row's topic
REASON_TEMPLATE_UNFIT = "template_unfit"  # a value breaks WeChat's keyword rules, and no other channel
REASON_APP_FAILED = "app_failed"  # the app could not deliver, and neither WeChat nor SMS could take it over
REASON_LABELS = {  # lazy (_l): shown to staff in their language
    REASON_NOT_BOUND: _l("账户未绑定微信"),
    REASON_ALERTS_OFF: _l("客户已关闭提醒"),
    REASON_BELOW_MINIMUM: _l("低于客户设置的提醒金额"),
    REASON_NOT_FOLLOWING: _l("客户已取消关注，且未开通短信提醒"),
    REASON_INVALID_OPENID: _l("微信用户无效，且未开通短信提醒"),
    REASON_SMS_FAILED: _l("短信发送失败"),
    REASON_RETRIES_EXHAUSTED: _l("多次重试仍未送达"),
    REASON_REJECTED: _l("微信拒绝了该消息"),
    REASON_WINDOW_CLOSED: _l("客户超过 48 小时未互动，且未开通短信提醒"),
    REASON_UNKNOWN_TOPIC: _l("未知的通知类型"),
    REASON_TEMPLATE_UNFIT: _l("模板字段不符合微信规则，且无其他渠道"),
    REASON_APP_FAILED: _l("手机银行推送失败，且微信、短信均无法补发"),
}

# What the transaction was, as the core reports it; the alert's 交易类型 is derived from kind and sign.
# A transfer outcome is written as transfer_out.
KINDS = ("transfer_in", "transfer_out", "deposit", "withdrawal", "purchase", "refund", "fee", "interest",
         "salary", "other")


class Notice(db.Model):
    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("source", "source_txn_id", name="uq_alert_source_txn"),
        Index("ix_alert_due", "state", "next_attempt_at"),  # what a dispatcher claims next
        Index("ix_alert_finished_at", "finished_at"),  # what `alerts prune` deletes
        Index("ix_alert_msgid", "msgid"),  # TEMPLATESENDJOBFINISH finds its row by WeChat's MsgID
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), default=TOPIC_TRANSACTION_ALERT,
                                       server_default=TOPIC_TRANSACTION_ALERT)
    source: Mapped[str] = mapped_column(String(8))
    source_txn_id: Mapped[str] = mapped_column(String(64))  # the core's transaction id; ledger: J0000000042:1
    request_hash: Mapped[str] = mapped_column(String(64), default="")  # core items: same id, other content = conflict
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # signed: + money in, - money out
    balance_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    counterparty: Mapped[str] = mapped_column(String(64), default="")  # masked before it is stored
    memo: Mapped[str] = mapped_column(String(140), default="")
    payload: Mapped[str | None] = mapped_column(Text)  # JSON: the topic's own fields (masked before stored)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # sending: the lease's end
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    openid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(8))
    final_reason: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    msgid: Mapped[str | None] = mapped_column(String(32))  # WeChat's id of the template message sent
    # WeChat's TEMPLATESENDJOBFINISH Status for that msgid: success | failed:user block | failed: system failed
    delivery_status: Mapped[str | None] = mapped_column(String(32))
    delivery_reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.topic} {self.source}:{self.source_txn_id} {self.state}>"


class HeldDeliveryReport(db.Model):
    """A TEMPLATESENDJOBFINISH that came before the dispatcher had written the msgid on its notice.

    WeChat may push the report while the dispatcher still holds the send's answer in its batch; the report
    waits here and the dispatcher applies it when it records the batch (claims.record). Reports for msgids
    that never turn up (another account's, or a notice already pruned) go with `alerts prune`."""

    __tablename__ = "alert_report_held"

    msgid: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


Alert = Notice  # the name the alerts feature, the admin panel and the tests know it by
