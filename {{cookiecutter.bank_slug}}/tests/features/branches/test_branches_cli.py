"""`flask branches ...`: head office's branch list from the command line; every write audited, bad input
refused with a reason, a closed branch kept but no longer listed to customers."""

import json

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.admin.models import ROLE_BRANCH_OPERATOR, StaffUser
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.branches import service
from {{ cookiecutter.bank_slug }}.features.info.branches import branches_text


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def branches(runner, *args):
    return runner.invoke(args=["branches", *args])


def branch(app, code):
    with app.app_context():
        row = db.session.execute(select(Branch).where(Branch.code == code)).scalar_one_or_none()
        if row is not None:
            db.session.expunge(row)
        return row


def audit_rows(app, code=None):
    with app.app_context():
        rows = db.session.execute(select(AuditLog).where(AuditLog.target_type == "bank_branch")
                                  .order_by(AuditLog.id)).scalars().all()
        return [(row.action, row.staff_username, json.loads(row.before or "null"), json.loads(row.after or "null"))
                for row in rows]


def test_add_edit_close_and_reopen_are_audited(app, runner):
    added = branches(runner, "add", "0301", "--name", "  城南  支行 ", "--address", "城南路 1 号", "--phone",
                     "0571-8800 0301", "--hours", "周一至周五 9:00-17:00", "--lat", "30.2", "--lng", "120.15")
    assert added.exit_code == 0, added.output
    row = branch(app, "0301")
    assert (row.name, row.address, row.opening_hours) == ("城南 支行", "城南路 1 号", "周一至周五 9:00-17:00")
    assert (row.latitude, row.longitude, row.closed_at) == (30.2, 120.15, None)

    edited = branches(runner, "edit", "0301", "--phone", "", "--hours", "周一至周日 8:30-17:30")
    assert edited.exit_code == 0, edited.output
    row = branch(app, "0301")
    assert row.phone is None and row.opening_hours == "周一至周日 8:30-17:30" and row.name == "城南 支行"

    assert branches(runner, "close", "0301").exit_code == 0
    assert branch(app, "0301").closed_at is not None
    listed = branches(runner, "list")
    assert "0301" not in listed.output
    assert "0301" in branches(runner, "list", "--all").output
    assert branches(runner, "reopen", "0301").exit_code == 0
    assert branch(app, "0301").closed_at is None

    log = audit_rows(app)
    assert [action for action, *_ in log] == ["create", "update", "close", "reopen"]
    assert all(actor == "(flask branches)" for _, actor, *_ in log)
    assert log[1][2]["phone"].endswith("0301") and log[1][3]["phone"] is None  # masked like every phone
    assert log[2][2]["closed_at"] is None and log[2][3]["closed_at"]


@pytest.mark.parametrize("args,reason", [
    (["add", "03-01", "--name", "x"], "1-16 位字母或数字"),
    (["add", "0302"], "--name"),
    (["add", "0302", "--name", "  "], "请填写网点名称"),
    (["add", "0302", "--name", "城北", "--lat", "91", "--lng", "120"], "纬度 须在"),
    (["add", "0302", "--name", "城北", "--lat", "nan", "--lng", "120"], "纬度 须在"),
    (["add", "0302", "--name", "城北", "--lat", "north", "--lng", "120"], "须为数字"),
    (["add", "0302", "--name", "城北", "--lat", "30"], "同时填写"),
    (["add", "0302", "--name", "城北", "--phone", "call us"], "电话号码"),
    (["add", "0302", "--name", "城" * 65], "不能超过 64"),
    (["edit", "9999", "--name", "x"], "不存在"),
    (["edit", "0401"], "nothing to change"),
    (["close", "9999"], "不存在"),
], ids=lambda value: value if isinstance(value, str) else " ".join(value)[:30])
def test_bad_input_is_refused_with_a_reason_and_nothing_stored(app, runner, args, reason):
    assert branches(runner, "add", "0401", "--name", "既有网点").exit_code == 0
    before = audit_rows(app)
    result = branches(runner, *args)
    assert result.exit_code != 0
    assert reason in result.output
    assert branch(app, "0302") is None
    assert audit_rows(app) == before


def test_duplicate_code_is_refused(app, runner):
    assert branches(runner, "add", "0501", "--name", "一").exit_code == 0
    again = branches(runner, "add", "0501", "--name", "二")
    assert again.exit_code != 0 and "已存在" in again.output
    assert branch(app, "0501").name == "一"


def test_a_branch_with_active_operators_cannot_be_closed(app, runner):
    assert branches(runner, "add", "0601", "--name", "城西").exit_code == 0
    with app.app_context():
        row = db.session.execute(select(Branch).where(Branch.code == "0601")).scalar_one()
        db.session.add(StaffUser(username="op0601", display_name="操作员", role=ROLE_BRANCH_OPERATOR,
                                 branch_id=row.id, password_hash=generate_password_hash("x" * 12, "pbkdf2:sha256:1")))
        db.session.commit()
    refused = branches(runner, "close", "0601")
    assert refused.exit_code != 0 and "1 个启用的网点操作员" in refused.output
    assert branch(app, "0601").closed_at is None
    with app.app_context():
        db.session.execute(select(StaffUser).where(StaffUser.username == "op0601")).scalar_one().active = False
        db.session.commit()
    assert branches(runner, "close", "0601").exit_code == 0
    again = branches(runner, "close", "0601")
    assert again.exit_code != 0 and "已经关闭" in again.output
    new_operator = runner.invoke(args=["create-admin", "--username", "op2", "--name", "二", "--role",
                                       "branch_operator", "--branch", "0601"], input="Str0ng-pass-2026\n" * 2)
    assert new_operator.exit_code != 0 and "已关闭" in new_operator.output


def test_the_chat_lists_open_branches_with_their_hours(app, runner):
    assert branches(runner, "add", "0701", "--name", "开着的", "--hours", "周一至周五 9:00-17:00").exit_code == 0
    assert branches(runner, "add", "0702", "--name", "关了的").exit_code == 0
    assert branches(runner, "close", "0702").exit_code == 0
    with app.test_request_context():
        text = branches_text()
    assert "开着的" in text and "营业时间 周一至周五 9:00-17:00" in text
    assert "关了的" not in text


def test_kind_services_and_readable_hours_from_the_command_line(app):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["branches", "add", "0301", "--name", "东站自助银行", "--kind", "self_service",
                                "--hours", "24小时", "--services", "存取款、转账", "--lat", "30.29", "--lng", "120.21"])
    assert added.exit_code == 0, added.output
    with app.app_context():
        branch = service.by_code("0301")
        assert (branch.kind, branch.services, branch.opening_hours) == ("self_service", "存取款、转账", "24小时")
    refused = runner.invoke(args=["branches", "edit", "0301", "--hours", "看情况"])
    assert refused.exit_code != 0 and "营业时间请写成" in refused.output
    wrong_kind = runner.invoke(args=["branches", "add", "0302", "--name", "x", "--kind", "bank"])
    assert wrong_kind.exit_code != 0
    listed = runner.invoke(args=["branches", "list"])
    assert "0301\t东站自助银行\tself_service\t" in listed.output
