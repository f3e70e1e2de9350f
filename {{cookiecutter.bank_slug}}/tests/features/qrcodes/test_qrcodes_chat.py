"""Follows and scans through parametric QR codes: a follow (subscribe, EventKey qrscene_<scene>, Ticket) is
recorded and attributed first-touch while the welcome still answers; a SCAN by a follower is recorded and
answered with the branch; the dashboard counts the last 30 days' follows by source."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.qrcodes import dashboard
from {{ cookiecutter.bank_slug }}.features.qrcodes.models import QrCode, QrScan
from {{ cookiecutter.bank_slug }}.features.qrcodes.service import attribution, follows_by_source
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import event_message, message_xml
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...helpers import push, reply_field

ALICE = "oQrAlice00000000000000000001"
BOB = "oQrBob0000000000000000000002"
CAROL = "oQrCarol000000000000000000003"


@pytest.fixture
def codes(app):
    """A branch code, a staff code of that branch and a campaign code (as the admin would have made them)."""
    with app.app_context():
        branch = Branch(code="7701", name="南街支行", address="", phone="")
        db.session.add(branch)
        db.session.flush()
        now = utcnow()
        rows = {
            "branch": QrCode(kind="branch", name="南街大堂", scene="branch:7701", action_name="QR_LIMIT_STR_SCENE",
                             branch_id=branch.id, ticket="T-branch", url="http://weixin.qq.com/q/b", created_by="hq"),
            "staff": QrCode(kind="staff", name="经理码", scene="staff:5", action_name="QR_LIMIT_STR_SCENE",
                            branch_id=branch.id, ticket="T-staff", url="http://weixin.qq.com/q/s", created_by="hq"),
            "campaign": QrCode(kind="campaign", name="春节活动", scene="campaign:spring", action_name="QR_STR_SCENE",
                               ticket="T-campaign", url="http://weixin.qq.com/q/c", expire_seconds=86400,
                               expires_at=now + timedelta(days=1), created_by="hq"),
        }
        db.session.add_all(rows.values())
        db.session.commit()
        return {kind: code.id for kind, code in rows.items()} | {"branch_id": branch.id}


def follow_xml(openid: str, scene: str | None, ticket: str | None = None) -> str:
    fields = {"Event": "subscribe"}
    if scene is not None:
        fields["EventKey"] = "qrscene_" + scene
    if ticket is not None:
        fields["Ticket"] = ticket
    return message_xml("gh_sandbox", openid, "event", fields)


def scan_xml(openid: str, scene: str, ticket: str) -> str:
    return message_xml("gh_sandbox", openid, "event", {"Event": "SCAN", "EventKey": scene, "Ticket": ticket})


def scans(app) -> list[tuple]:
    with app.app_context():
        return [(s.openid, s.event, s.scene, s.code_id, s.first_touch)
                for s in db.session.scalars(select(QrScan).order_by(QrScan.id))]


def test_a_follow_through_a_code_is_recorded_first_touch_and_still_welcomed(app, client, pusher, codes):
    response, reply = push(client, pusher, follow_xml(ALICE, "branch:7701", "T-branch"))
    assert response.status_code == 200 and "欢迎关注" in reply_field(reply, "Content")
    assert scans(app) == [(ALICE, "subscribe", "branch:7701", codes["branch"], True)]
    # unfollow, then follow again through the campaign: recorded, but the first touch stays the branch
    push(client, pusher, event_message(ALICE, "unsubscribe"))
    _, reply = push(client, pusher, follow_xml(ALICE, "campaign:spring", "T-campaign"))
    assert "欢迎关注" in reply_field(reply, "Content")
    assert scans(app)[-1] == (ALICE, "subscribe", "campaign:spring", codes["campaign"], False)
    with app.app_context():
        assert attribution(ALICE).id == codes["branch"]


def test_a_follow_without_a_code_records_nothing_and_an_unknown_scene_is_kept_unattributed(app, client, pusher,
                                                                                           codes):
    _, reply = push(client, pusher, event_message(BOB, "subscribe"))
    assert "欢迎关注" in reply_field(reply, "Content") and scans(app) == []
    _, reply = push(client, pusher, follow_xml(CAROL, "poster:unknown", "T-nobody"))
    assert "欢迎关注" in reply_field(reply, "Content")
    assert scans(app) == [(CAROL, "subscribe", "poster:unknown", None, True)]


def test_a_scan_by_a_follower_is_recorded_and_answered_with_the_branch(app, client, pusher, codes):
    push(client, pusher, event_message(ALICE, "subscribe"))
    _, reply = push(client, pusher, scan_xml(ALICE, "branch:7701", "T-branch"))
    text = reply_field(reply, "Content")
    assert "南街支行" in text and "帮助" in text
    _, reply = push(client, pusher, scan_xml(ALICE, "campaign:spring", "T-campaign"))
    assert "春节活动" in reply_field(reply, "Content")
    response, reply = push(client, pusher, scan_xml(ALICE, "somebody-else", "T-unknown"))
    assert response.status_code == 200 and reply == ""  # not our code: "success"
    assert [row[1:4] for row in scans(app)] == [("scan", "branch:7701", codes["branch"]),
                                               ("scan", "campaign:spring", codes["campaign"]),
                                               ("scan", "somebody-else", None)]
    assert not any(row[4] for row in scans(app))  # scans never count as a first touch


def test_the_dashboard_counts_follows_by_source_for_the_last_30_days(app, client, pusher, codes):
    push(client, pusher, follow_xml(ALICE, "branch:7701", "T-branch"))
    push(client, pusher, follow_xml(BOB, "staff:5", "T-staff"))
    push(client, pusher, follow_xml(CAROL, "campaign:spring", "T-campaign"))
    push(client, pusher, event_message("oQrDave00000000000000000004", "subscribe"))  # no code
    push(client, pusher, scan_xml(ALICE, "branch:7701", "T-branch"))  # a scan is no follow
    with app.app_context():
        old = QrScan(openid="oQrOld000000000000000000005", event="subscribe", scene="branch:7701",
                     code_id=codes["branch"], first_touch=True, occurred_at=utcnow() - timedelta(days=31))
        db.session.add(old)
        db.session.commit()
        since = utcnow() - timedelta(days=30)
        assert follows_by_source(None, since, head_office=True) == {"branch": 1, "staff": 1, "campaign": 1,
                                                                    "none": 1}
        # the branch's operators: their branch's codes only (the campaign is head office's), no "no code"
        assert follows_by_source(codes["branch_id"], since, head_office=False) == {"branch": 1, "staff": 1,
                                                                                  "campaign": 0}
        [stat] = dashboard.panels(None, None)
        assert [f.value for f in stat.figures] == [1, 1, 1, 1]
        [stat] = dashboard.panels("7701", None)
        assert [f.value for f in stat.figures] == [1, 1, 0]
        [stat] = dashboard.panels("0000", None)  # a branch without codes
        assert [f.value for f in stat.figures] == [0, 0, 0]
