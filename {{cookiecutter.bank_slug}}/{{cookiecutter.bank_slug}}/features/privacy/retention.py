"""Retention periods per kind of record (the RETENTION_* settings, days after a record ended), enforced by
`flask privacy prune` (daily, deploy/systemd/<slug>-privacy-prune.timer). A record still open is never pruned;
deleting a record deletes the rows that depend on it (a complaint's events, a follower's follow events).

Other kinds have their own jobs: received WeChat messages (`flask wechat prune-messages`, 30 days) and notices
(`flask alerts prune`, ALERT_RETENTION_DAYS)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Table, and_, exists, func, select

from ...extensions import db
from ...shared.timeutil import utcnow
from .inventory import OPEN_COMPLAINTS, OPEN_REPAYMENTS, OPEN_REQUESTS, OPEN_TRANSFERS

RETENTION_KEYS = {
    "card_binding_challenge": "RETENTION_BINDING_CHALLENGE_DAYS",
    "card_binding": "RETENTION_UNBOUND_BINDING_DAYS",
    "transfer_order": "RETENTION_TRANSFER_DAYS",
    "credit_repayment": "RETENTION_TRANSFER_DAYS",  # a transaction record as a transfer is
    "complaint": "RETENTION_COMPLAINT_DAYS",
    "branch_request": "RETENTION_REQUEST_DAYS",
    "wechat_follower": "RETENTION_FOLLOWER_DAYS",
    "privacy_consent": "RETENTION_CONSENT_DAYS",
    "privacy_erasure": "RETENTION_ERASURE_DAYS",
}
BATCH = 1000

@dataclass(frozen=True)
class Rule:
    table: str
    expired: Callable[[Table, datetime], object]  # the condition of the rows past their period
    what: str  # for the command's output

def _tables() -> dict[str, Table]:
    return db.metadata.tables

def _follower_expired(t: Table, cutoff: datetime):
    bindings = _tables()["card_binding"]
    return and_(t.c.subscribed.is_(False), t.c.unsubscribed_at < cutoff,
                ~exists().where(bindings.c.openid == t.c.openid))

RULES = (
    Rule("card_binding_challenge", lambda t, cutoff: t.c.created_at < cutoff, "binding attempts 绑卡申请"),
    Rule("card_binding", lambda t, cutoff: and_(t.c.status == "unbound", t.c.unbound_at < cutoff),
         "unbound cards' binding records 已解绑的绑卡记录"),
    Rule("transfer_order", lambda t, cutoff: and_(t.c.status.not_in(OPEN_TRANSFERS),
                                                  func.coalesce(t.c.finished_at, t.c.created_at) < cutoff),
         "finished transfer orders 已完成的转账"),
    Rule("credit_repayment", lambda t, cutoff: and_(t.c.status.not_in(OPEN_REPAYMENTS),
                                                    func.coalesce(t.c.finished_at, t.c.created_at) < cutoff),
         "finished credit-card repayments 已完成的信用卡还款"),
    Rule("complaint", lambda t, cutoff: and_(t.c.status.not_in(OPEN_COMPLAINTS), t.c.updated_at < cutoff),
         "closed complaints 已办结的投诉"),
    Rule("branch_request", lambda t, cutoff: and_(t.c.status.not_in(OPEN_REQUESTS), t.c.updated_at < cutoff),
         "finished requests 已结束的申请与预约"),
    Rule("wechat_follower", _follower_expired, "unfollowed users without a binding 已取消关注且无绑卡的用户"),
    Rule("privacy_consent", lambda t, cutoff: and_(t.c.withdrawn_at.is_not(None), t.c.withdrawn_at < cutoff),
         "ended consents 已结束的同意记录"),
    Rule("privacy_erasure", lambda t, cutoff: t.c.requested_at < cutoff, "cancellation records 注销记录"),
)

def days_of(table: str) -> int:
    return int(current_app.config[RETENTION_KEYS[table]])

def prune(now: datetime | None = None, dry_run: bool = False, batch_size: int = BATCH) -> list[tuple[Rule, int, int]]:
    """Delete what is past its period; [(rule, days, rows)] for every rule whose table exists. A dry run counts."""
    from .service import _delete_with_dependents

    now = now or utcnow()
    done = []
    for rule in RULES:
        table = _tables().get(rule.table)
        if table is None:  # a feature this instance does not install
            continue
        days = days_of(rule.table)
        condition = rule.expired(table, now - timedelta(days=days))
        if dry_run:
            done.append((rule, days, int(db.session.scalar(select(func.count()).select_from(table).where(condition)))))
            continue
        pk = next(iter(table.primary_key.columns))
        total = 0
        while True:
            ids = db.session.scalars(select(pk).where(condition).order_by(pk).limit(batch_size)).all()
            if not ids:
                break
            total += _delete_with_dependents(table, pk.in_(ids))
            db.session.commit()
        done.append((rule, days, total))
    return done
