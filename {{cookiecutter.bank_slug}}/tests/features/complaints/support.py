"""Complaint test helpers: a fake clock for the service, two branches with an operator each and a head-office
admin, a customer with a bound card and a few transactions, and readers of the notices and the audit log."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.admin.models import ROLE_BRANCH_OPERATOR, ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.complaints import service
from {{ cookiecutter.bank_slug }}.features.complaints.models import Complaint, ComplaintEvent
from {{ cookiecutter.bank_slug }}.features.complaints.notify import TOPIC_NAME
from {{ cookiecutter.bank_slug }}.features.complaints.service import ComplaintInput
from {{ cookiecutter.bank_slug }}.outbox.models import Notice

from ...admin.conftest import FIXTURE_PASSWORD_HASH
from ...binding_support import LI, ZHANG, seed_demo
from ..balance.test_balance_h5 import bind, pay

ALICE = "oAliceComplaint000000000001"  # 张伟, one bound card with transactions
BOB = "oBobComplaint00000000000002"  # 李娜, her own card
# 2026-03-01 20:00 UTC is 2026-03-02 02:00 in Asia/Urumqi (UTC+6, the bake's time zone): the local day counts
START = datetime(2026, 3, 1, 20, 0)


class Clock:
    """The complaint service's clock (naive UTC), moved by the test."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@dataclass
class World:
    hq: int  # staff ids
    east: int
    west: int
    east_branch: int
    west_branch: int

    def staff(self, staff_id: int) -> StaffUser:
        return db.session.get(StaffUser, staff_id)


def make_world(app) -> World:
    """Two branches (east, west), an operator for each, a head-office admin; Alice's and Bob's cards bound."""
    seed_demo(app)
    with app.app_context():
        east = Branch(code="9101", name="东城支行", address="", phone="")
        west = Branch(code="9102", name="西城支行", address="", phone="")
        db.session.add_all([east, west])
        db.session.flush()
        users = [StaffUser(username=name, display_name=name, role=role, branch_id=branch,
                           password_hash=FIXTURE_PASSWORD_HASH)
                 for name, role, branch in (("hq_admin", ROLE_HEAD_OFFICE, None),
                                            ("east_op", ROLE_BRANCH_OPERATOR, east.id),
                                            ("west_op", ROLE_BRANCH_OPERATOR, west.id))]
        db.session.add_all(users)
        db.session.commit()
        world = World(users[0].id, users[1].id, users[2].id, east.id, west.id)
    bind(app, ALICE, ZHANG.cards[0])
    bind(app, BOB, LI.cards[0])
    pay(app, ZHANG.cards[0], 1234, "complaint-pay-1", memo="午饭")
    return world


def form(key: str | None = None, **values) -> ComplaintInput:
    data = {"category": "fees", "description": "账户管理费扣了两次，请退还多扣的费用。", "transaction": "",
            "contact_channel": "wechat", "contact_time": "any", "idempotency_key": key or service.new_idempotency_key()}
    data.update(values)
    return ComplaintInput(**data)


def notices() -> list[dict]:
    """The complaint notices in the outbox, oldest first: their payloads."""
    rows = db.session.scalars(select(Notice).where(Notice.topic == TOPIC_NAME).order_by(Notice.id))
    return [json.loads(row.payload) for row in rows]


def notice_kinds() -> list[str]:
    return [payload["kind"] for payload in notices()]


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "complaint")
                                   .order_by(AuditLog.id)))


def counts() -> tuple[int, int, int]:
    """(complaints, thread entries, complaint notices) stored."""
    complaints = db.session.scalars(select(Complaint.id)).all()
    return len(complaints), len(db.session.scalars(select(ComplaintEvent.id)).all()), len(notices())
