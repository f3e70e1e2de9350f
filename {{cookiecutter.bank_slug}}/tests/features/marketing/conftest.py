"""Marketing fixtures: the admin panel's branches and staff (tests/admin/conftest.py), and followers of every
kind — bound at a branch, unbound but followed through a branch's QR code, through no code, gone."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.qrcodes.models import QrCode, QrScan
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import Follower

from ...admin.conftest import app, panel  # noqa: F401 (fixtures)
from ...product_support import add_product

BOUND_EAST = "oMkBoundEast000000000000001"  # bound a card at 8801
QR_EAST = "oMkQrEast00000000000000000002"  # unbound, followed through 8801's branch code
NO_CODE = "oMkNoCode000000000000000000003"  # unbound, followed through no code
BOUND_WEST = "oMkBoundWest000000000000004"  # bound at 8802, followed through a campaign code
GONE = "oMkGone000000000000000000005"  # bound at 8801, unfollowed
FOLLOWING = (BOUND_EAST, QR_EAST, NO_CODE, BOUND_WEST)


@dataclass
class Crowd:
    app: object
    panel: object
    east_code_id: int
    campaign_code_id: int


def add_follower(openid: str, subscribed: bool = True, days_ago: int = 10) -> None:
    at = utcnow() - timedelta(days=days_ago)
    db.session.add(Follower(openid=openid, subscribed=subscribed, subscribed_at=at if subscribed else None))


@pytest.fixture
def crowd(panel) -> Crowd:  # noqa: F811 (the fixture above)
    add_product(panel.app, "LC2026501", name="稳盈 60 天")
    add_product(panel.app, "LC2026502", name="季季享 90 天")
    with panel.app.app_context():
        east_code = QrCode(kind="branch", name="东街大堂", scene="branch:8801", action_name="QR_LIMIT_STR_SCENE",
                           branch_id=panel.east_branch.id, ticket="T-mk-east", url="http://weixin.qq.com/q/e",
                           created_by="hq_admin")
        campaign = QrCode(kind="campaign", name="春耕贷", scene="campaign:spring", action_name="QR_STR_SCENE",
                          ticket="T-mk-spring", url="http://weixin.qq.com/q/s", expire_seconds=86400,
                          expires_at=utcnow() + timedelta(days=1), created_by="hq_admin")
        db.session.add_all([east_code, campaign])
        db.session.flush()
        for openid in FOLLOWING:
            add_follower(openid)
        add_follower(GONE, subscribed=False)
        db.session.add_all([
            QrScan(openid=QR_EAST, event="subscribe", scene="branch:8801", code_id=east_code.id, first_touch=True),
            QrScan(openid=BOUND_WEST, event="subscribe", scene="campaign:spring", code_id=campaign.id,
                   first_touch=True),
            CardBinding(openid=BOUND_EAST, account_id="A-mk-1", card_mask="6228 **** **** 0001", branch_code="8801"),
            CardBinding(openid=BOUND_WEST, account_id="A-mk-2", card_mask="6228 **** **** 0002", branch_code="8802"),
            CardBinding(openid=GONE, account_id="A-mk-3", card_mask="6228 **** **** 0003", branch_code="8801"),
        ])
        db.session.commit()
        return Crowd(panel.app, panel, east_code.id, campaign.id)
