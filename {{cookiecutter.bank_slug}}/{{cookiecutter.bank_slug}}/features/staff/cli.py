"""`flask create-admin`: the first (or any) staff user of the admin panel, audited like a write in the panel."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ...admin import audit as admin_audit
from ...admin.models import ROLE_BRANCH_OPERATOR, ROLE_HEAD_OFFICE, ROLES, StaffUser
from ...core_banking.models import Branch
from ...extensions import db


@click.command("create-admin")
@with_appcontext
@click.option("--username", prompt="用户名 Username")
@click.option("--name", "display_name", prompt="姓名 Display name")
@click.option("--role", type=click.Choice(ROLES), default=ROLE_HEAD_OFFICE, show_default=True)
@click.option("--branch", "branch_code", default=None, help="Branch code (required for branch operators)")
@click.password_option("--password", prompt="密码 Password", confirmation_prompt=True)
def create_admin(username: str, display_name: str, role: str, branch_code: str | None, password: str) -> None:
    """Create a staff user of the admin panel (the password is asked for, never echoed)."""
    username = username.strip()
    if not username:
        raise click.BadParameter("用户名不能为空 username must not be empty", param_hint="--username")
    if db.session.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise click.BadParameter(f"用户 {username} 已存在 user already exists", param_hint="--username")
    branch = None
    if branch_code:
        branch = db.session.execute(select(Branch).where(Branch.code == branch_code)).scalar_one_or_none()
        if branch is None:
            raise click.BadParameter(f"网点 {branch_code} 不存在 no such branch", param_hint="--branch")
        if not branch.is_open:
            raise click.BadParameter(f"网点 {branch_code} 已关闭 the branch is closed", param_hint="--branch")
    if role == ROLE_BRANCH_OPERATOR and branch is None:
        raise click.BadParameter("网点操作员须指定 --branch a branch operator needs --branch",
                                 param_hint="--branch")
    user = StaffUser(username=username, display_name=display_name.strip() or username, role=role, branch=branch)
    try:
        user.set_password(password)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--password") from None
    db.session.add(user)
    db.session.flush()
    admin_audit.record("create", "staff_user", user.id, None,
                       {"username": user.username, "display_name": user.display_name, "role": role,
                        "branch_code": branch_code or None}, staff=None, actor_username="(create-admin)")
    click.echo(f"已创建管理员 {username}（{role}）Staff user created.")
