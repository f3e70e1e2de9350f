"""Card bindings (绑卡): which bank cards a WeChat user (openid) has bound, and the bindings in progress."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.fieldcrypt import EncryptedText
from ...shared.timeutil import utcnow


class CardBinding(db.Model):
    """A bank card bound to a WeChat user (openid). One openid may bind several cards; an account is
    bound to at most one openid at a time (the partial unique index). Unbinding keeps the row.

    Only the core's account key and the masked card number are kept, never the full card number.
    """

    __tablename__ = "card_binding"
    __table_args__ = (
        Index("uq_card_binding_active_account", "account_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[str] = mapped_column(String(64))
    card_mask: Mapped[str] = mapped_column(String(32))  # 6228 **** **** 1234
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | unbound
    alerts_suspended: Mapped[bool] = mapped_column(Boolean, default=False)  # the follower unsubscribed
    # The mobile number verified by SMS when the card was bound: where SMS alerts go if the customer opts in.
    sms_phone: Mapped[str | None] = mapped_column(EncryptedText())  # encrypted at rest
    bound_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    unbound_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The account's branch as the core reported it when the card was bound: the admin panel's branch scope.
    branch_code: Mapped[str | None] = mapped_column(String(16), index=True)
    unbind_reason: Mapped[str | None] = mapped_column(String(200))  # set when staff unbind it in the admin panel

    def __repr__(self) -> str:
        return f"<CardBinding {self.id} {self.card_mask} {self.status}>"


class BindingChallenge(db.Model):
    """One binding in progress: the card and phone that passed the identity check, and the one-time
    SMS code sent to that phone, kept only as a keyed hash (`bindings.code_digest`)."""

    __tablename__ = "card_binding_challenge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[str] = mapped_column(String(64))
    card_mask: Mapped[str] = mapped_column(String(32))
    branch_code: Mapped[str | None] = mapped_column(String(16))  # the account's branch, copied to the binding
    phone: Mapped[str] = mapped_column(EncryptedText())  # for a resend; blanked when it ends; encrypted at rest
    code_salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong codes entered for the current code
    sends: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | verified | failed
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:  # no phone, no code hash
        return f"<BindingChallenge {self.id} {self.card_mask} {self.status}>"
