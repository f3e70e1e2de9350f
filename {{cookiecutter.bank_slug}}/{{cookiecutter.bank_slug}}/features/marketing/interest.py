"""Consent to marketing contact, and the branch follow-up list of product interest.

A follower who opened the same product's H5 page at least twice within INTEREST_DAYS appears in their
branch's follow-up list — only while they consent to marketing contact (营销联系授权, given and revoked by the
customer on /h5/marketing/consent; revoking takes them off every list at once). Their branch is that of an
active card binding, else that of the QR code they followed through; head office sees every branch's."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ...core_banking.models import Branch
from ...extensions import db
from ...shared.timeutil import utcnow
from ..binding.service import STATUS_ACTIVE, CardBinding
from ..products.service import ProductView, WealthProduct
from ..qrcodes.service import QrCode, QrScan
from .models import Consent, FollowUp

INTEREST_VIEWS = 2
INTEREST_DAYS = 30
NOTE_MAX = 200


def consent_of(openid: str) -> Consent | None:
    return db.session.get(Consent, openid)


def has_consent(openid: str) -> bool:
    row = consent_of(openid)
    return bool(row and row.granted)


def set_consent(openid: str, granted: bool) -> Consent:
    """Record the customer's choice (the caller commits); giving it twice changes nothing but updated_at."""
    row = consent_of(openid) or Consent(openid=openid, granted=False)
    now = utcnow()
    if granted and not row.granted:
        row.granted_at = now
    if not granted and row.granted:
        row.revoked_at = now
    row.granted, row.updated_at = granted, now
    db.session.add(row)
    return row


def branch_codes_of(openids) -> dict[str, str | None]:
    """The follower's branch code: of an active binding (the latest), else of their first-touch QR code."""
    wanted = list(set(openids))
    result: dict[str, str | None] = {openid: None for openid in wanted}
    if not wanted:
        return result
    qr = db.session.execute(
        select(QrScan.openid, Branch.code).join(QrCode, QrScan.code_id == QrCode.id)
        .join(Branch, Branch.id == QrCode.branch_id)
        .where(QrScan.first_touch.is_(True), QrScan.openid.in_(wanted))).all()
    for openid, code in qr:
        result[openid] = code
    bound = db.session.execute(
        select(CardBinding.openid, CardBinding.branch_code).where(
            CardBinding.status == STATUS_ACTIVE, CardBinding.openid.in_(wanted),
            CardBinding.branch_code.is_not(None)).order_by(CardBinding.bound_at)).all()
    for openid, code in bound:
        result[openid] = code
    return result


@dataclass(frozen=True)
class Interest:
    openid: str
    product: WealthProduct
    views: int
    last_viewed_at: datetime
    branch_code: str | None
    card_mask: str | None
    follow_up: FollowUp | None


def follow_up_list(branch_code: str | None, now: datetime | None = None) -> list[Interest]:
    """The interested, consenting customers of a branch (None: every branch), most recent first."""
    since = (now or utcnow()) - timedelta(days=INTEREST_DAYS)
    rows = db.session.execute(
        select(ProductView.openid, ProductView.product_id, func.count(), func.max(ProductView.viewed_at))
        .join(Consent, Consent.openid == ProductView.openid)
        .where(ProductView.openid.is_not(None), ProductView.viewed_at >= since, Consent.granted.is_(True))
        .group_by(ProductView.openid, ProductView.product_id)
        .having(func.count() >= INTEREST_VIEWS)).all()
    branches = branch_codes_of(openid for openid, *_rest in rows)
    if branch_code is not None:
        rows = [row for row in rows if branches[row[0]] == branch_code]
    products = {p.id: p for p in db.session.execute(
        select(WealthProduct).where(WealthProduct.id.in_({row[1] for row in rows}))).scalars()}
    cards = dict(db.session.execute(select(CardBinding.openid, CardBinding.card_mask).where(
        CardBinding.status == STATUS_ACTIVE, CardBinding.openid.in_({row[0] for row in rows}))).all())
    done = {(f.openid, f.product_id): f for f in db.session.execute(
        select(FollowUp).where(FollowUp.openid.in_({row[0] for row in rows}))).scalars()}
    found = [Interest(openid, products[product_id], int(views), last, branches[openid], cards.get(openid),
                      done.get((openid, product_id))) for openid, product_id, views, last in rows]
    return sorted(found, key=lambda item: item.last_viewed_at, reverse=True)


def mark_contacted(openid: str, product_id: int, staff_username: str, note: str | None) -> FollowUp | None:
    """Record that the branch contacted the customer about the product (once: None when it was recorded
    already; the caller commits).
    ValueError when the customer no longer consents or the note is too long."""
    if not has_consent(openid):
        raise ValueError("no consent")
    text = (note or "").strip()[:NOTE_MAX + 1]
    if len(text) > NOTE_MAX:
        raise ValueError("note too long")
    row = db.session.execute(select(FollowUp).where(FollowUp.openid == openid, FollowUp.product_id == product_id)
                             ).scalar_one_or_none()
    if row is not None:
        return None
    row = FollowUp(openid=openid, product_id=product_id, contacted_by=staff_username, note=text or None)
    db.session.add(row)
    return row
