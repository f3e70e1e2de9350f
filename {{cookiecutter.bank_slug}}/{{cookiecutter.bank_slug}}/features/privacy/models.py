"""Personal information (个人信息): the separate consents customers gave (and withdrew), and the record of each
cancellation of the WeChat bank service (注销) with what was erased and what was kept, without the person."""

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...shared.timeutil import utcnow


class PrivacyConsent(db.Model):
    """One consent of one WeChat user (openid) to one version of the privacy notice's sensitive-information
    clause (PIPL arts. 28-29: separate consent). Withdrawal sets `withdrawn_at`; the row stays as the proof that
    consent was given (the bank's burden of proof), until the retention period after withdrawal ends."""

    __tablename__ = "privacy_consent"
    __table_args__ = (
        Index("ix_privacy_consent_openid_scope", "openid", "scope"),
        # one consent in force per person and scope: a double submission records one
        Index("uq_privacy_consent_active", "openid", "scope", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"), postgresql_where=text("withdrawn_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(32))  # "binding": card, name, ID number, phone for card binding
    notice_version: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # "withdrawn" (by the customer), "superseded" (a newer version was consented to), "erased" (service cancelled)
    ended_reason: Mapped[str | None] = mapped_column(String(16))

    def __repr__(self) -> str:
        return f"<PrivacyConsent {self.id} {self.scope} v{self.notice_version}>"


class ErasureRecord(db.Model):
    """One cancellation (注销微信银行服务): when, and a JSON summary of what was erased and what was kept and
    why. The person is recorded only as a keyed hash of the openid (so a repeated request can be recognised and
    the bank can answer a regulator's question about it), never the openid itself."""

    __tablename__ = "privacy_erasure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    summary: Mapped[str] = mapped_column(Text)  # {"erased": {table: rows}, "kept": {table: rows}}
