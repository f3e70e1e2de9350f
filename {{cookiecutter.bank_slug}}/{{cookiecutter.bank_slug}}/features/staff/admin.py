"""Staff users (员工账号), head office only: create with a hashed password, role and branch; deactivate; reset a
password; see and lift lock-outs. The password hash is never shown; accounts are deactivated, never deleted
(the audit log names them).

Usernames are compared by their normalised form (admin.models.username_key): a name that differs from an
existing one only by case, full-width forms or zero-width characters is refused as a look-alike. A new
password, deactivation, a role or branch change end the account's sessions (admin/models.py)."""

import re

from flask import flash
from flask_admin.actions import action
from flask_admin.form import BaseForm
from flask_login import current_user
from sqlalchemy import select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from ...admin import audit
from ...admin.base import CATEGORY_SYSTEM, StaffModelView
from ...admin.formatting import labelled, local_datetime
from ...admin.models import (
    MIN_PASSWORD_LENGTH,
    ROLE_BRANCH_OPERATOR,
    ROLE_HEAD_OFFICE,
    StaffUser,
    clean_username,
)
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.timeutil import utcnow
from ..branches.service import open_branches

ROLE_LABELS = {ROLE_HEAD_OFFICE: _l("总行管理员"), ROLE_BRANCH_OPERATOR: _l("网点操作员")}
USERNAME = re.compile(r"[^\s<>\"'&/\\]{2,64}\Z")  # as create-admin allows, less markup and spaces


def branch_label(view, context, model, name):
    return f"{model.branch.code} {model.branch.name}" if model.branch is not None else ""


def yes_no(view, context, model, name):
    return str(_l("启用")) if model.active else str(_l("已停用"))


def lock_state(view, context, model, name):
    if model.is_locked(utcnow()):
        return _("已锁定至 %(at)s", at=local_datetime(view, context, model, "locked_until"))
    return ""


class StaffUserView(StaffModelView):
    head_office_only = True
    can_delete = False
    column_list = ("id", "username", "display_name", "role", "branch", "active", "locked_until", "last_login_at",
                   "created_at")
    column_details_list = column_list
    column_labels = {"id": _l("编号"), "username": _l("用户名"), "display_name": _l("姓名"), "role": _l("角色"),
                     "branch": _l("所属网点"), "active": _l("状态"), "last_login_at": _l("最近登录"),
                     "created_at": _l("创建时间"), "password": _l("密码"), "locked_until": _l("登录锁定")}
    column_formatters = {"role": labelled(ROLE_LABELS), "branch": branch_label, "active": yes_no,
                         "locked_until": lock_state,
                         "last_login_at": local_datetime, "created_at": local_datetime}
    column_sortable_list = ("id", "username", "last_login_at")
    column_default_sort = ("id", False)
    form_base_class = BaseForm
    form_columns = ("username", "display_name", "role", "branch", "active", "password")
    form_extra_fields = {"password": PasswordField(
        _l("密码"), validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=256, message=_l("密码至少 10 位"))],
        description=_l("新建时必填；修改时留空表示不改密码。"))}
    form_overrides = {"role": SelectField, "username": StringField}
    form_args = {
        "username": {"label": _l("用户名"), "validators": [
            DataRequired(message=_l("请填写用户名")),
            Regexp(USERNAME, message=_l("用户名为 2-64 位，不能含空格及 < > \" ' & / \\ 等字符"))]},
        "display_name": {"label": _l("姓名"), "validators": [DataRequired(message=_l("请填写姓名")), Length(max=64)]},
        "role": {"label": _l("角色"), "choices": list(ROLE_LABELS.items())},
        "branch": {"label": _l("所属网点"), "get_label": lambda branch: f"{branch.code} {branch.name}",
                   "query_factory": open_branches,
                   "allow_blank": True, "blank_text": _l("（总行，无网点）")},
        "active": {"label": _l("启用")},
    }
    audit_target_type = "staff_user"

    def on_form_prefill(self, form, id):
        form.password.data = ""

    def on_model_change(self, form, model, is_created):
        model.username = clean_username(model.username)
        model.display_name = (model.display_name or "").strip()
        if not USERNAME.fullmatch(model.username):
            raise ValidationError(_("用户名为 2-64 位，不能含空格及 < > \" ' & / \\ 等字符"))
        with db.session.no_autoflush:  # the new row must not be inserted before the check
            duplicate = db.session.execute(select(StaffUser.username).where(
                StaffUser.username_key == model.username_key, StaffUser.id != (model.id or 0))).first()
        if duplicate:
            raise ValidationError(_("用户名 %(name)s 与已有账号 %(other)s 相同或过于相似"
                                    "（仅大小写、全角半角或不可见字符不同），请换一个用户名。",
                                    name=model.username, other=duplicate[0]))
        if model.role not in ROLE_LABELS:
            raise ValidationError(_("请选择角色。"))
        if model.role == ROLE_BRANCH_OPERATOR and model.branch is None:
            raise ValidationError(_("网点操作员必须选择所属网点。"))
        if model.role == ROLE_HEAD_OFFICE:
            model.branch = None
        me = current_user.get_id()  # not current_staff(): when editing oneself, `model` *is* that object
        if not is_created and me is not None and str(model.id) == me and (
                not model.active or model.role != ROLE_HEAD_OFFICE):
            raise ValidationError(_("不能停用自己的账号，也不能取消自己的总行管理员角色。"))
        password = form.password.data or ""
        if is_created and not password:
            raise ValidationError(_("新建账号必须设置密码（至少 %(n)d 位）。", n=MIN_PASSWORD_LENGTH))
        if password:
            model.set_password(password)
        super().on_model_change(form, model, is_created)

    @action("unlock", _l("解除登录锁定"), _l("确定解除所选账号的登录锁定？"))
    def action_unlock(self, ids):
        keys = [key for key in (self._parse_pk(i) for i in ids) if key is not None]
        unlocked = 0
        for user in (self.get_query().filter(StaffUser.id.in_(keys)) if keys else ()):
            if user.locked_until is None and not user.failed_logins:
                continue
            before = {"locked_until": user.locked_until.isoformat(timespec="seconds") if user.locked_until else None}
            user.locked_until, user.failed_logins = None, 0
            audit.record("unlock", self.target_type, user.id, before, {"locked_until": None}, commit=False)
            unlocked += 1
        db.session.commit()
        flash(_("已解除 %(n)s 个账号的登录锁定。", n=unlocked), "success")

    def create_model(self, form):
        model = super().create_model(form)
        if model:
            form.password.data = ""
        return model


def add_views(admin) -> None:
    admin.add_view(StaffUserView(StaffUser, name=_l("员工账号"), endpoint="staff", category=CATEGORY_SYSTEM))
