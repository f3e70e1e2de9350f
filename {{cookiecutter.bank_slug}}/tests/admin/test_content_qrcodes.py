"""带参数二维码 in the admin panel: permanent codes per branch and staff member, temporary ones per campaign,
created through WeChat's qrcode/create (the mock here), audited, branch-scoped, downloaded as PNG; bad input is
a 400 with the reason and nothing is stored."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.admin.models import StaffUser
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.qrcodes.models import QrCode
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.faults import Faults

from ..live_sandbox import live_sandbox
from .conftest import csrf_of, logged_in

PAGE = "/admin/qrcodes/"


def create(client, **form):
    return client.post(PAGE + "create/", data={"csrf_token": csrf_of(client, PAGE), **form})


def codes(app) -> list[QrCode]:
    with app.app_context():
        found = list(db.session.scalars(select(QrCode).order_by(QrCode.id)))
        db.session.expunge_all()
        return found


def staff_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(StaffUser.id).where(StaffUser.username == username))


def test_head_office_creates_branch_staff_and_campaign_codes_through_wechat(panel):
    app = panel.app
    with live_sandbox(app) as live:
        client = logged_in(app, panel.head)
        assert create(client, kind="branch", name="东街支行大堂", branch_id=panel.east_branch.id).status_code == 303
        east_op = staff_id(app, panel.east)
        assert create(client, kind="staff", name="客户经理东", staff_id=east_op).status_code == 303
        assert create(client, kind="campaign", name="春节活动", campaign="spring-2027",
                      expire_days="30").status_code == 303
        branch_code, staff_code, campaign = codes(app)
        assert (branch_code.scene, branch_code.action_name, branch_code.expires_at) == (
            "branch:8801", "QR_LIMIT_STR_SCENE", None)
        assert branch_code.branch_id == panel.east_branch.id and branch_code.created_by == panel.head
        assert (staff_code.scene, staff_code.branch_id) == (f"staff:{east_op}", panel.east_branch.id)
        assert (campaign.scene, campaign.action_name, campaign.expire_seconds) == (
            "campaign:spring-2027", "QR_STR_SCENE", 2_592_000)
        assert campaign.expires_at is not None and campaign.branch_id is None
        mock_codes = {code.ticket: code for code in live.state.qrcodes.values()}
        assert mock_codes[branch_code.ticket].scene == "branch:8801"
        assert mock_codes[campaign.ticket].expires_at is not None
        with app.app_context():
            audited = list(db.session.execute(select(AuditLog.action, AuditLog.target_id).where(
                AuditLog.target_type == "qrcode_code").order_by(AuditLog.id)))
        assert [action for action, _ in audited] == ["create"] * 3
        page = client.get(PAGE).get_data(as_text=True)
        assert "东街支行大堂" in page and "campaign:spring-2027" in page

        response = client.get(f"{PAGE}{branch_code.id}/qrcode.png")
        assert response.status_code == 200 and response.mimetype == "image/png"
        image = Image.open(io.BytesIO(response.data))
        assert image.format == "PNG" and image.size[0] > 100


@pytest.mark.parametrize(("form", "reason"), [
    ({"kind": "campaign", "name": "活动", "campaign": "x", "expire_days": "31"}, "有效期须为 1 到 30 天"),
    ({"kind": "campaign", "name": "活动", "campaign": "x", "expire_days": "0"}, "有效期须为 1 到 30 天"),
    ({"kind": "campaign", "name": "活动", "campaign": "坏 代码", "expire_days": "7"}, "活动代码须为"),
    ({"kind": "campaign", "name": "", "campaign": "ok", "expire_days": "7"}, "请填写名称"),
    ({"kind": "branch", "name": "网点", "branch_id": "999999"}, "请选择网点"),
    ({"kind": "staff", "name": "员工", "staff_id": "abc"}, "请选择员工"),
    ({"kind": "poster", "name": "x"}, "未知的二维码类型"),
])
def test_bad_input_is_a_400_with_the_reason_and_nothing_is_stored(panel, form, reason):
    app = panel.app
    with live_sandbox(app) as live:
        client = logged_in(app, panel.head)
        response = create(client, **form)
        assert response.status_code == 400
        assert reason in response.get_data(as_text=True)
        assert codes(app) == [] and live.state.qrcodes == {}


def test_a_permanent_scene_is_created_once_and_a_refusal_by_wechat_is_shown(panel):
    app = panel.app
    with live_sandbox(app) as live:
        client = logged_in(app, panel.head)
        assert create(client, kind="branch", name="东街", branch_id=panel.east_branch.id).status_code == 303
        again = create(client, kind="branch", name="东街 2", branch_id=panel.east_branch.id)
        assert again.status_code == 400 and "已有永久二维码" in again.get_data(as_text=True)
        live.state.faults = Faults(errcodes={45009: 1.0})
        refused = create(client, kind="campaign", name="活动", campaign="c1", expire_days="1")
        assert refused.status_code == 400 and "45009" in refused.get_data(as_text=True)
        assert len(codes(app)) == 1


def test_a_branch_operator_sees_and_creates_only_their_branch_codes(panel):
    app = panel.app
    with live_sandbox(app):
        head = logged_in(app, panel.head)
        assert create(head, kind="branch", name="西街码", branch_id=panel.west_branch.id).status_code == 303
        [west_code] = codes(app)
        east = logged_in(app, panel.east)
        assert "西街码" not in east.get(PAGE).get_data(as_text=True)
        assert east.get(f"{PAGE}{west_code.id}/qrcode.png").status_code == 404
        # another branch, or another branch's staff member: refused, as if not there
        assert create(east, kind="branch", name="偷码", branch_id=panel.west_branch.id).status_code == 400
        assert create(east, kind="staff", name="偷码", staff_id=staff_id(app, panel.west)).status_code == 400
        assert create(east, kind="branch", name="东街码", branch_id=panel.east_branch.id).status_code == 303
        assert create(east, kind="campaign", name="东街活动", campaign="east-fair",
                      expire_days="7").status_code == 303
        _west, east_code, east_campaign = codes(app)
        assert east_code.branch_id == east_campaign.branch_id == panel.east_branch.id
        page = east.get(PAGE).get_data(as_text=True)
        assert "东街码" in page and "东街活动" in page and "西街码" not in page
        assert east.get(f"{PAGE}{east_code.id}/qrcode.png").status_code == 200


def test_posts_need_csrf(panel):
    client = logged_in(panel.app, panel.head)
    assert client.post(PAGE + "create/", data={"kind": "branch", "name": "x"}).status_code == 400
    assert codes(panel.app) == []
