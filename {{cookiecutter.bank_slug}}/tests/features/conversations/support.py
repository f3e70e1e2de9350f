"""Conversation test helpers: a fake clock for the service, the demo branches with an operator at 0101 and at 0201
and a head-office admin, customers bound at 0101, and chat through the signed /wechat endpoint."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.models import ROLE_BRANCH_OPERATOR, ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.conversations.models import AccountManager, Conversation
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message

from ...admin.conftest import FIXTURE_PASSWORD_HASH
from ...binding_support import seed_demo
from ...helpers import next_msg_id, push, reply_field

ALICE = "oAliceConversation000000001"  # bound at 0101
BOB = "oBobConversation00000000002"  # bound at 0201
CAROL = "oCarolConversation000000003"  # no card bound: the head-office queue
# A Tuesday, 10:30 in Shanghai (the tests fix TIMEZONE): inside 周一至周五 9:00-17:00
WEEKDAY_MORNING = datetime(2026, 3, 3, 2, 30)
CONFIG = {"CONVERSATION_SERVICE_HOURS": "周一至周五 9:00-17:00", "ADMIN_PANEL_ENABLED": "1",
          "TIMEZONE": "Asia/Shanghai"}


class Clock:
    def __init__(self, at: datetime = WEEKDAY_MORNING) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@dataclass
class World:
    hq: int
    east: int  # operator at 0101
    west: int  # operator at 0201

    def staff(self, staff_id: int) -> StaffUser:
        return db.session.get(StaffUser, staff_id)


def make_world(app) -> World:
    seed_demo(app)
    with app.app_context():
        branches = {b.code: b for b in db.session.scalars(select(Branch))}
        users = [StaffUser(username=name, display_name=label, role=role,
                           branch_id=branches[code].id if code else None, password_hash=FIXTURE_PASSWORD_HASH)
                 for name, label, role, code in (("hq_conv", "总行客服", ROLE_HEAD_OFFICE, None),
                                                 ("east_conv", "王经理", ROLE_BRANCH_OPERATOR, "0101"),
                                                 ("west_conv", "李经理", ROLE_BRANCH_OPERATOR, "0201"))]
        db.session.add_all(users)
        for openid, code, tail in ((ALICE, "0101", "0018"), (BOB, "0201", "0026")):
            db.session.add(CardBinding(openid=openid, account_id=f"ACC-{tail}", card_mask=f"6228 **** **** {tail}",
                                       status="active", alerts_suspended=False, branch_code=code))
        db.session.commit()
        return World(users[0].id, users[1].id, users[2].id)


def make_manager(app, staff_id: int, phone: str = "0571-8800 0101") -> None:
    with app.app_context():
        db.session.add(AccountManager(staff_id=staff_id, title="客户经理", phone=phone, photo_url="",
                                      introduction="", active=True))
        db.session.commit()


def say(client, pusher, openid: str, text: str) -> str:
    """Send a text as the customer; the passive reply's text ('' for none). `pusher` None: one for the client's app."""
    pusher = pusher or WeChatPusher.from_config(client.application.config)
    response, plain = push(client, pusher, text_message(openid, text, next_msg_id()))
    assert response.status_code == 200
    return reply_field(plain, "Content") if plain and plain != "success" else ""


def conversation_of(openid: str) -> Conversation | None:
    return db.session.scalar(select(Conversation).where(Conversation.openid == openid)
                             .order_by(Conversation.id.desc()).limit(1))
