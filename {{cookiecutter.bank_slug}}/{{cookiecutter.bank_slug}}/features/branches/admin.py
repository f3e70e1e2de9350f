"""网点管理, head office only: the branch list with address, phone, opening hours and coordinates; create and
edit (the code is fixed once created), close and reopen as list actions. Every write is audited; a branch is
never deleted."""

from flask import flash
from flask_admin.actions import action
from flask_admin.form import BaseForm
from sqlalchemy import or_
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from ...admin.base import CATEGORY_SYSTEM, StaffModelView
from ...admin.formatting import local_datetime
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _, _l
from . import service

FORM_FIELDS = ("code", "name", "kind", "address", "phone", "opening_hours", "services", "latitude", "longitude")


def kind_label(view, context, model, name):
    return str(service.KINDS.get(model.kind, model.kind))


def open_state(view, context, model, name):
    return str(_l("营业中")) if model.is_open else str(_l("已关闭"))


def closed_detail(view, context, model, name):
    if model.is_open:
        return open_state(view, context, model, name)
    return _("已关闭（%(at)s）", at=local_datetime(view, context, model, name))


class BranchView(StaffModelView):
    head_office_only = True
    can_delete = False
    column_list = ("code", "name", "kind", "address", "phone", "opening_hours", "closed_at")
    column_details_list = ("id", *FORM_FIELDS, "closed_at")
    column_labels = {"id": _l("编号"), "code": _l("网点编号"), "name": _l("网点名称"), "address": _l("地址"),
                     "phone": _l("电话"), "opening_hours": _l("营业时间"), "kind": _l("类型"), "services": _l("业务"),
                     "latitude": _l("纬度（GCJ-02）"),
                     "longitude": _l("经度（GCJ-02）"), "closed_at": _l("状态")}
    column_formatters = {"closed_at": open_state, "kind": kind_label}
    column_formatters_detail = {"closed_at": closed_detail, "kind": kind_label}
    column_sortable_list = ("code", "name")
    column_default_sort = ("code", False)
    search_hint = _l("网点编号或名称")
    form_base_class = BaseForm
    form_columns = FORM_FIELDS
    form_overrides = {"code": StringField, "latitude": StringField, "longitude": StringField, "kind": SelectField}
    form_args = {
        "code": {"label": _l("网点编号"), "description": _l("1-16 位字母或数字，创建后不能修改。")},
        "name": {"label": _l("网点名称")},
        "address": {"label": _l("地址")},
        "phone": {"label": _l("电话")},
        "kind": {"label": _l("类型"), "choices": list(service.KINDS.items()), "default": service.KIND_BRANCH},
        "opening_hours": {"label": _l("营业时间"), "description": _l(
            "例如：周一至周五 9:00-17:00，周六 9:00-12:00；自助设备写「24小时」。网点搜索据此显示是否营业中")},
        "services": {"label": _l("业务"), "description": _l("例如：个人业务、对公业务、外币兑换（选填）")},
        "latitude": {"label": _l("纬度"), "description": _l("GCJ-02 坐标（腾讯地图、微信位置消息所用），可留空")},
        "longitude": {"label": _l("经度"), "description": _l("GCJ-02 坐标，与纬度同时填写")},
    }
    audit_target_type = "bank_branch"

    def search_clause(self, term):
        return or_(Branch.code == term, Branch.name.contains(term, autoescape=True))

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.code  # the code is the branch's identity
        return form

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        form.latitude.data = "" if model.latitude is None else f"{model.latitude:.6f}"
        form.longitude.data = "" if model.longitude is None else f"{model.longitude:.6f}"

    def on_model_change(self, form, model, is_created):
        values = {name: field.data for name, field in form._fields.items() if name in FORM_FIELDS}
        try:
            with db.session.no_autoflush:  # the new row must not be inserted before the code check
                cleaned = service.clean(values, creating=is_created)
                for key, value in cleaned.items():
                    setattr(model, key, value)
                service.check_coordinates(model)
        except service.BranchError as exc:
            raise ValidationError(str(exc)) from None
        super().on_model_change(form, model, is_created)

    def _act(self, ids, write, done_message):
        keys = [key for key in (self._parse_pk(i) for i in ids) if key is not None]
        branches = list(self.get_query().filter(Branch.id.in_(keys))) if keys else []
        done = 0
        for branch in branches:
            try:
                write(branch)
                done += 1
            except service.BranchError as exc:
                flash(str(exc), "warning")
        db.session.commit()
        if done:
            flash(done_message(done), "success")

    @action("close", _l("关闭网点"), _l("确定关闭所选网点？关闭后客户不再看到它，记录保留。"))
    def action_close(self, ids):
        self._act(ids, service.close, lambda n: _("已关闭 %(n)s 个网点。", n=n))

    @action("reopen", _l("重新开放"), _l("确定重新开放所选网点？"))
    def action_reopen(self, ids):
        self._act(ids, service.reopen, lambda n: _("已重新开放 %(n)s 个网点。", n=n))


def add_views(admin) -> None:
    admin.add_view(BranchView(Branch, name=_l("网点管理"), endpoint="branches", category=CATEGORY_SYSTEM))
