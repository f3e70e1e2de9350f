"""Retention periods enforced by `flask privacy prune`: each kind is deleted once past its period after it ended,
never while still open or recent, with the rows that depend on it; --dry-run only counts."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import BindingChallenge, CardBinding
from {{ cookiecutter.bank_slug }}.features.complaints.models import Complaint, ComplaintEvent
from {{ cookiecutter.bank_slug }}.features.privacy.models import ErasureRecord, PrivacyConsent
from {{ cookiecutter.bank_slug }}.features.requests.models import KIND_LOAN, BranchRequest
from {{ cookiecutter.bank_slug }}.features.transfers.models import TransferOrder
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import Follower, FollowEvent

pytestmark = pytest.mark.smoke

OLD = utcnow() - timedelta(days=40)
NEW = utcnow() - timedelta(days=5)


@pytest.fixture
def app(make_app):
    days = {key: "30" for key in ("RETENTION_BINDING_CHALLENGE_DAYS", "RETENTION_UNBOUND_BINDING_DAYS",
                                  "RETENTION_TRANSFER_DAYS", "RETENTION_COMPLAINT_DAYS", "RETENTION_REQUEST_DAYS",
                                  "RETENTION_FOLLOWER_DAYS", "RETENTION_CONSENT_DAYS", "RETENTION_ERASURE_DAYS")}
    return make_app(**days)


def transfer(key, status, when):
    return TransferOrder(idempotency_key=key, openid="oA", binding_id=1, from_account_id="A0000001",
                         from_card_masked="6228 **** **** 0018", payee_number="6228480000000000001",
                         payee_name="李娜", payee_bank="", amount_fen=100, status=status, created_at=when,
                         finished_at=when if status != "awaiting_pin" else None)


def complaint(key, status, when):
    return Complaint(ticket_no=f"T{key}", idempotency_key=key, openid="oA", category="service", description="x",
                     contact_channel="wechat", contact_time="any", status=status, clock_start=date.today(),
                     limit_days=15, created_at=when, updated_at=when)


def seed():
    db.session.add_all([
        BindingChallenge(openid="oA", account_id="A1", card_mask="m", phone="", code_salt="s", code_hash="h",
                         status="failed", expires_at=OLD, created_at=OLD),
        BindingChallenge(openid="oA", account_id="A1", card_mask="m", phone="", code_salt="s", code_hash="h",
                         status="verified", expires_at=NEW, created_at=NEW),
        CardBinding(openid="oA", account_id="A1", card_mask="m", status="unbound", unbound_at=OLD),
        CardBinding(openid="oB", account_id="A2", card_mask="m", status="unbound", unbound_at=NEW),
        CardBinding(openid="oC", account_id="A3", card_mask="m", status="active", bound_at=OLD),
        transfer("t-old", "posted", OLD), transfer("t-new", "posted", NEW),
        transfer("t-open", "awaiting_pin", OLD),  # open, however old: never pruned
        complaint("c-old", "closed", OLD), complaint("c-open", "assigned", OLD),
        BranchRequest(kind=KIND_LOAN, openid="oA", branch_code="001", status="declined", updated_at=OLD),
        BranchRequest(kind=KIND_LOAN, openid="oA", branch_code="001", status="received", updated_at=OLD),
        Follower(openid="oGone", subscribed=False, unsubscribed_at=OLD),
        Follower(openid="oC", subscribed=False, unsubscribed_at=OLD),  # still has a binding: kept
        Follower(openid="oHere", subscribed=True, subscribed_at=OLD),
        PrivacyConsent(openid="oA", scope="binding", notice_version="1", granted_at=OLD, withdrawn_at=OLD,
                       ended_reason="withdrawn"),
        PrivacyConsent(openid="oB", scope="binding", notice_version="1", granted_at=OLD),  # in force
        ErasureRecord(subject_hash="h1", requested_at=OLD, summary="{}"),
        ErasureRecord(subject_hash="h2", requested_at=NEW, summary="{}"),
    ])
    db.session.flush()
    gone = db.session.scalar(select(Follower).where(Follower.openid == "oGone"))
    closed = db.session.scalar(select(Complaint).where(Complaint.idempotency_key == "c-old"))
    db.session.add_all([FollowEvent(follower_id=gone.id, kind="unsubscribe", occurred_at=OLD),
                        ComplaintEvent(complaint_id=closed.id, kind="received", author="customer", body="x",
                                       at=OLD)])
    db.session.commit()


def counts():
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (BindingChallenge, CardBinding, TransferOrder, Complaint, ComplaintEvent, BranchRequest,
                          Follower, FollowEvent, PrivacyConsent, ErasureRecord)}


def test_prune_deletes_only_what_is_past_its_period_and_ended(app):
    with app.app_context():
        seed()
        before = counts()
    dry = app.test_cli_runner().invoke(args=["privacy", "prune", "--dry-run"])
    assert dry.exit_code == 0 and "transfer_order: would delete 1" in dry.output
    with app.app_context():
        assert counts() == before
    result = app.test_cli_runner().invoke(args=["privacy", "prune"])
    assert result.exit_code == 0, result.output
    assert "card_binding: deleted 1" in result.output and "> 30 days" in result.output
    with app.app_context():
        assert counts() == {"card_binding_challenge": 1, "card_binding": 2, "transfer_order": 2, "complaint": 1,
                            "complaint_event": 0, "branch_request": 1, "wechat_follower": 2,
                            "wechat_follow_event": 0, "privacy_consent": 1, "privacy_erasure": 1}
        assert {t.idempotency_key for t in db.session.scalars(select(TransferOrder))} == {"t-new", "t-open"}
        assert db.session.scalar(select(Complaint.status)) == "assigned"
        assert {f.openid for f in db.session.scalars(select(Follower))} == {"oC", "oHere"}
        assert db.session.scalar(select(PrivacyConsent.openid)) == "oB"
    again = app.test_cli_runner().invoke(args=["privacy", "prune"])
    assert again.exit_code == 0 and "deleted 1" not in again.output  # nothing left to do


def test_the_periods_come_from_the_settings(make_app):
    from {{ cookiecutter.bank_slug }}.settings import ConfigError

    app = make_app(RETENTION_TRANSFER_DAYS="60")
    with app.app_context():
        seed()
    app.test_cli_runner().invoke(args=["privacy", "prune"])
    with app.app_context():
        assert db.session.scalar(select(func.count(TransferOrder.id))) == 3  # 40 days old is within 60
    with pytest.raises(ConfigError, match="RETENTION_TRANSFER_DAYS"):
        make_app(RETENTION_TRANSFER_DAYS="0")
