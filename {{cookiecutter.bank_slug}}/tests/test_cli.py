"""The command-line tools: init-db, seed-demo, create-admin, wechat settings."""

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin.models import StaffUser
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch, Customer
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.demo_data import id_check_char, id_number

pytestmark = pytest.mark.smoke


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_init_db_is_safe_to_run_again(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database schema is up to date" in result.output


def test_seed_demo_is_idempotent_and_prints_masked_data(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert _count(app, Customer) == 6 and _count(app, Branch) == 3 + len(demo_data.SELF_SERVICE_POINTS)
    second = runner.invoke(args=["seed-demo"])
    assert "0 customers added" in second.output
    assert _count(app, Customer) == 6
    with app.app_context():
        for customer in db.session.scalars(select(Customer)):
            assert customer.id_number not in first.output
            assert customer.phone not in first.output
            assert customer.id_number[-1] == id_check_char(customer.id_number[:17])


def test_demo_id_numbers_use_the_national_check_character():
    # GB 11643 worked example: 11010519491231002 -> X
    assert id_check_char("11010519491231002") == "X"
    assert len(id_number(__import__("datetime").date(1990, 1, 1), "123")) == 18


def _create_admin(runner, *args, password="Str0ng-pass-2026"):
    return runner.invoke(args=["create-admin", *args], input=f"{password}\n{password}\n")


def test_create_admin_stores_a_hash(app, runner):
    result = _create_admin(runner, "--username", "zhangsan", "--name", "张三")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(select(StaffUser)).scalar_one()
        assert user.password_hash != "Str0ng-pass-2026" and user.check_password("Str0ng-pass-2026")
        assert user.role == "head_office"


def test_create_admin_refuses_duplicates_short_passwords_and_bad_branches(app, runner):
    assert _create_admin(runner, "--username", "li", "--name", "李").exit_code == 0
    duplicate = _create_admin(runner, "--username", "li", "--name", "李")
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = _create_admin(runner, "--username", "wang", "--name", "王", password="short")
    assert short.exit_code != 0 and "10" in short.output
    no_branch = _create_admin(runner, "--username", "zhao", "--name", "赵", "--role", "branch_operator")
    assert no_branch.exit_code != 0 and "--branch" in no_branch.output
    unknown = _create_admin(runner, "--username", "qian", "--name", "钱", "--role", "branch_operator",
                            "--branch", "9999")
    assert unknown.exit_code != 0 and "no such branch" in unknown.output
    assert _count(app, StaffUser) == 1


def test_create_branch_operator(app, runner):
    runner.invoke(args=["seed-demo"])
    result = _create_admin(runner, "--username", "op1", "--name", "操作员", "--role", "branch_operator",
                           "--branch", "0101")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(select(StaffUser).where(StaffUser.username == "op1")).scalar_one()
        assert user.branch.code == "0101"


def test_wechat_settings_prints_what_the_platform_needs(app, runner):
    result = runner.invoke(args=["wechat", "settings"])
    assert result.exit_code == 0
    assert f"https://{app.config['PUBLIC_DOMAIN']}/wechat" in result.output
    assert app.config["WECHAT_TOKEN"] in result.output
    assert app.config["WECHAT_ENCODING_AES_KEY"] in result.output


def test_prune_messages_removes_old_records_finished_or_stuck(app, runner):
    from datetime import timedelta

    from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
    from {{ cookiecutter.bank_slug }}.wechat.models import InboundMessage

    with app.app_context():
        old = utcnow() - timedelta(days=40)
        db.session.add_all([
            InboundMessage(dedup_key="msg:1", openid="o", msg_type="text", status="replied", received_at=old),
            InboundMessage(dedup_key="msg:2", openid="o", msg_type="text", status="processing", received_at=old),
            InboundMessage(dedup_key="msg:3", openid="o", msg_type="text", status="replied"),
        ])
        db.session.commit()
    result = runner.invoke(args=["wechat", "prune-messages", "--days", "30"])
    assert result.exit_code == 0 and "Removed 2 " in result.output
    with app.app_context():
        keys = set(db.session.scalars(select(InboundMessage.dedup_key)))
    assert keys == {"msg:3"}  # a claim still "processing" after 40 days is a dead handler's
    assert runner.invoke(args=["wechat", "prune-messages", "--days", "0"]).exit_code != 0
