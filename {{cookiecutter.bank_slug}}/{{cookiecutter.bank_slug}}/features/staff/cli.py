"""`flask create-admin`: the first (or any) staff user of the admin panel, audited like a write in the panel."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ...admin import audit as admin_audit
from ...admin.models import ROLE_BRANCH_OPERATOR, ROLE_HEAD_OFFICE, ROLES, StaffUser, clean_username, username_key
from ...core_banking.models import Branch
from ...extensions import db
from .admin import USERNAME


@click.command("create-admin")
@with_appcontext
@click.option("--username", prompt="用户名 Username")
@click.option("--name", "display_name", prompt="姓名 Display name")
@click.option("--role", type=click.Choice(ROLES), default=ROLE_HEAD_OFFICE, show_default=True)
@click.option("--branch", "branch_code", default=None, help="Branch code (required for branch operators)")
@click.password_option("--password", prompt="密码 Password", confirmation_prompt=True)
def create_admin(username: str, display_name: str, role: str, branch_code: str | None, password: str) -> None:
    """Create a staff user of the admin panel (the password is asked for, never echoed)."""
    username = clean_username(username)  # NFKC, no zero-width or control characters
    if not USERNAME.fullmatch(username):
        raise click.BadParameter("用户名为 2-64 位，不能含空格及 < > \" ' & / \\ 等字符 "
                                 "2-64 characters, no spaces or markup characters", param_hint="--username")
    existing = db.session.execute(select(StaffUser.username).where(
        StaffUser.username_key == username_key(username))).first()
    if existing:
        raise click.BadParameter(f"用户 {username} 与已有账号 {existing[0]} 相同或过于相似 "
                                 "a staff user of that name (or a look-alike) already exists", param_hint="--username")
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
