"""The audit log (操作日志), head office only and read-only: no create, edit or delete route answers anything but
403. Branch operators do not see it at all (their own actions are in it, for head office to review)."""

import json

from flask_admin.contrib.sqla.filters import FilterEqual
from markupsafe import Markup, escape
from sqlalchemy import or_

from ...admin.audit_models import AuditLog
from ...admin.base import CATEGORY_SYSTEM, MAX_ROW_ID, StaffModelView
from ...admin.formatting import labelled, local_datetime
from ...shared.i18n import _l

ACTION_LABELS = {
    "login": _l("登录"), "logout": _l("退出"), "login_failed": _l("登录失败"),
    "session_end": _l("会话结束（超时或停用）"),
    "create": _l("新建"), "update": _l("修改"), "delete": _l("删除"), "unbind": _l("解绑"),
    "publish": _l("发布"), "push": _l("群发"), "preview": _l("预览"), "retry": _l("重试"),
    "account_locked": _l("账号被锁定（连续密码错误）"), "login_locked": _l("锁定期间尝试登录"),
    "unlock": _l("解除锁定"),
    "complaint_file": _l("投诉受理"), "complaint_assign": _l("投诉分派"), "complaint_reply": _l("投诉回复"),
    "complaint_extend": _l("投诉延期"), "complaint_decide": _l("投诉处理决定"), "complaint_rate": _l("投诉评价"),
    "complaint_reopen": _l("投诉重新提起"), "export": _l("导出报表"),
}


def pretty_json(view, context, model, name):
    raw = getattr(model, name, None)
    if not raw:
        return ""
    try:
        text = json.dumps(json.loads(raw), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        text = raw
    return Markup("<pre class='mb-0'>") + escape(text) + Markup("</pre>")


class AuditLogView(StaffModelView):
    head_office_only = True
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "at", "staff_username", "action", "target_type", "target_id", "ip")
    column_details_list = ("id", "at", "staff_id", "staff_username", "action", "target_type", "target_id", "ip",
                           "before", "after")
    column_labels = {"id": _l("编号"), "at": _l("时间"), "staff_id": _l("员工编号"), "staff_username": _l("员工"),
                     "action": _l("操作"), "target_type": _l("对象类型"), "target_id": _l("对象编号"),
                     "ip": _l("IP 地址"), "before": _l("修改前"), "after": _l("修改后")}
    column_formatters = {"at": local_datetime, "action": labelled(ACTION_LABELS)}
    column_formatters_detail = {"at": local_datetime, "action": labelled(ACTION_LABELS), "before": pretty_json,
                                "after": pretty_json}
    column_sortable_list = ("id", "at")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(AuditLog.action, _l("操作"), options=tuple(ACTION_LABELS.items())),)
    search_hint = _l("员工用户名、对象类型、对象编号")

    def search_clause(self, term):
        conditions = [AuditLog.staff_username.contains(term, autoescape=True), AuditLog.target_type == term,
                      AuditLog.target_id == term]
        if term.isascii() and term.isdigit() and len(term) <= 10 and 0 < int(term) <= MAX_ROW_ID:
            conditions.append(AuditLog.id == int(term))
        return or_(*conditions)

    # The log is written only by audit.record(): nothing done through this view may write it.
    def on_model_change(self, form, model, is_created):
        raise PermissionError("the audit log is read-only")

    def on_model_delete(self, model):
        raise PermissionError("the audit log is read-only")


def add_views(admin) -> None:
    admin.add_view(AuditLogView(AuditLog, name=_l("操作日志"), endpoint="audit_log", category=CATEGORY_SYSTEM))
