"""人工服务 in the admin panel: the inboxes (mine, the branch's queue, everything open in the branch, closed; head
office: every branch, or one), a conversation's thread with the customer's masked profile and recent interactions
beside it, canned replies, the customer-service messages WeChat's window still takes, reply, take, transfer,
close (the customer is asked for a rating) and the CSV export (audited). Lists and threads update without
reloading: the pages poll small JSON endpoints (/inbox.json, /<id>/messages.json) every few seconds.

Also the canned replies (a branch: its own and the bank's), the account managers, who is whose account manager,
and the branches' service hours (head office)."""

from datetime import datetime, timedelta

from flask import Response, abort, current_app, flash, jsonify, redirect, request
from flask_admin import expose
from flask_admin.form import BaseForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ...admin import audit
from ...admin.base import (
    StaffModelView,
    StaffView,
    branch_filter,
    current_staff,
    is_head_office,
    staff_branch_code,
)
from ...admin.formatting import local_datetime
from ...admin.models import StaffUser
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ...shared.timeutil import local_time
from . import service
from .models import AccountManager, CannedReply, CustomerManager, ServiceHours

CATEGORY = _l("人工服务")
POLL_SECONDS = 3


def _row(conversation) -> dict:
    """An inbox row as JSON: masked, no HTML (the page sets it as text)."""
    waiting = None
    if conversation.waiting_since is not None:
        waiting = max(0, int((service.now() - conversation.waiting_since).total_seconds() // 60))
    return {"id": conversation.id, "customer": mask_openid(conversation.openid),
            "branch": conversation.branch_code or str(_("总行")),
            "assignee": conversation.assignee.display_name if conversation.assignee else "",
            "status": conversation.status, "excerpt": conversation.last_excerpt or "",
            "last": f"{local_time(conversation.last_message_at):%m-%d %H:%M}",
            "waiting_minutes": waiting, "unanswered": conversation.unanswered or 0,
            "rating": conversation.rating}


def _message(message) -> dict:
    return {"id": message.id, "author": message.author, "staff": message.staff_name or "", "body": message.body,
            "at": f"{local_time(message.at):%m-%d %H:%M:%S}", "throttled": bool(message.throttled)}


class ConversationView(StaffView):
    """Every staff member; a branch operator sees their branch's conversations and those assigned to them."""

    def _staff(self):
        staff = current_staff()
        if staff is None:
            abort(403)
        return staff

    def _conversation(self, conversation_id):
        try:
            return service.staff_conversation(self._staff(), conversation_id)
        except service.ConversationNotFound:
            abort(404)

    def _box(self) -> tuple[str, str | None]:
        box = request.args.get("box", "mine")
        branch = (request.args.get("branch") or "").strip()[:16] or None if is_head_office() else None
        return (box if box in service.BOXES else "mine"), branch

    @expose("/")
    def index(self):
        staff = self._staff()
        box, branch = self._box()
        branches = list(db.session.scalars(select(Branch).order_by(Branch.code))) if is_head_office() else []
        return self.render("admin/conversations_inbox.html", box=box, branch=branch or "", boxes=service.BOXES,
                           labels=service.BOX_LABELS, rows=[_row(c) for c in service.inbox(staff, box, branch)],
                           counts=service.box_counts(staff, branch), branches=branches, poll=POLL_SECONDS,
                           head_office=is_head_office())

    @expose("/inbox.json")
    def inbox_json(self):
        staff = self._staff()
        box, branch = self._box()
        return jsonify(rows=[_row(c) for c in service.inbox(staff, box, branch)],
                       counts=service.box_counts(staff, branch))

    def _thread(self, conversation, error=None, status: int = 200, body: str = ""):
        staff = self._staff()
        people, branches = service.transfer_targets(staff)
        return self.render("admin/conversations_thread.html", conversation=conversation, error=error, body=body,
                           messages=[_message(m) for m in conversation.messages], profile=service.profile(conversation),
                           window=service.window_left(conversation.openid), canned=service.canned_replies(staff),
                           people=people, branches=branches, managers=service.managers(), poll=POLL_SECONDS,
                           hours=service.hours_text(conversation.branch_code),
                           in_hours=service.in_service_hours(conversation.branch_code),
                           reply_max=service.REPLY_MAX, local=local_time, ratings=service.RATINGS,
                           mine=conversation.assignee_id == staff.id), status

    @expose("/<conversation_id>")
    def thread(self, conversation_id):
        return self._thread(self._conversation(conversation_id))

    @expose("/<conversation_id>/messages.json")
    def messages_json(self, conversation_id):
        conversation = self._conversation(conversation_id)
        after = request.args.get("after", "0")
        after = int(after) if after.isascii() and after.isdigit() and len(after) < 10 else 0
        return jsonify(messages=[_message(m) for m in conversation.messages if m.id > after],
                       status=conversation.status, window=service.window_left(conversation.openid),
                       assignee=conversation.assignee.display_name if conversation.assignee else "")

    def _step(self, conversation_id, action, done: str):
        conversation = self._conversation(conversation_id)
        try:
            action(conversation)
        except service.ConversationRefused as exc:
            db.session.rollback()
            return self._thread(self._conversation(conversation_id), exc, 400, request.form.get("body", ""))
        except service.ConversationStateRefused as exc:
            db.session.rollback()
            return self._thread(self._conversation(conversation_id), exc, 409)
        flash(done, "success")
        return redirect(self.get_url(".thread", conversation_id=conversation.id), 303)

    @expose("/<conversation_id>/reply", methods=("POST",))
    def reply(self, conversation_id):
        return self._step(conversation_id, lambda c: service.reply(self._staff(), c, request.form.get("body")),
                          _("回复已发出。"))

    @expose("/<conversation_id>/take", methods=("POST",))
    def take(self, conversation_id):
        return self._step(conversation_id, lambda c: service.take(self._staff(), c), _("已接入会话。"))

    @expose("/<conversation_id>/transfer", methods=("POST",))
    def transfer(self, conversation_id):
        return self._step(conversation_id, lambda c: service.transfer(self._staff(), c, request.form.get("target")),
                          _("会话已转接。"))

    @expose("/<conversation_id>/close", methods=("POST",))
    def close(self, conversation_id):
        return self._step(conversation_id, lambda c: service.close(self._staff(), c),
                          _("会话已结束，已请客户评价。"))

    @expose("/<conversation_id>/manager", methods=("POST",))
    def manager(self, conversation_id):
        return self._step(conversation_id,
                          lambda c: service.set_manager(self._staff(), c, request.form.get("manager_id")),
                          _("已设置该客户的客户经理。"))

    @expose("/<conversation_id>/export.csv")
    def export_one(self, conversation_id):
        conversation = self._conversation(conversation_id)
        audit.record("export", "conversation", conversation.id)
        return _csv(service.export_csv([conversation]), f"conversation-{conversation.id}.csv")

    @expose("/export.csv")
    def export_range(self):
        """Every conversation opened in [from, to] (local dates, at most 92 days), for a complaint or an audit."""
        staff = self._staff()
        try:
            first = datetime.strptime(request.args.get("from", ""), "%Y-%m-%d")
            last = datetime.strptime(request.args.get("to", ""), "%Y-%m-%d")
        except ValueError:
            return Response("from, to: dates as YYYY-MM-DD / 请用 YYYY-MM-DD 格式的日期\n", 400, mimetype="text/plain")
        if last < first or (last - first).days > 92:
            return Response("to: at most 92 days after from / 最多导出 92 天\n", 400, mimetype="text/plain")
        conversations = service.conversations_between(staff, service.utc_of_local(first),
                                                      service.utc_of_local(last + timedelta(days=1)))
        audit.record("export", "conversation_range", f"{first:%Y-%m-%d}..{last:%Y-%m-%d}")
        return _csv(service.export_csv(conversations), f"conversations-{first:%Y%m%d}-{last:%Y%m%d}.csv")


def _csv(text: str, name: str) -> Response:
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- the settings staff keep ---------------------------------------------------------------------------------------
def _scope_label(view, context, model, name):
    return model.branch_code or str(_("全行通用"))


def _check_canned_body(form, field):
    try:
        field.data = service.clean_reply(field.data, current_app.config)
    except service.ConversationRefused as exc:
        raise ValidationError(str(exc.message)) from None


class CannedReplyForm(BaseForm):
    title = StringField(_l("标题"), description=_l("最多 32 个字，客服回复时从列表中选"),
                        render_kw={"maxlength": 32})
    body = TextAreaField(_l("回复内容"), validators=[_check_canned_body],
                         description=_l("纯文字，最多 600 个字；链接只能是本行网址"),
                         render_kw={"rows": 5, "maxlength": service.REPLY_MAX})
    branch_code = StringField(_l("网点代码"), description=_l("留空为全行通用（仅总行可设）；网点人员只能维护本网点的"),
                              render_kw={"maxlength": 16})

    def validate_title(self, field):
        field.data = " ".join((field.data or "").split())
        if not field.data or len(field.data) > 32:
            raise ValidationError(_("请填写标题（最多 32 个字）"))


class CannedReplyView(StaffModelView):
    form = CannedReplyForm
    column_list = ("title", "body", "branch_code", "created_at")
    column_labels = {"title": _l("标题"), "body": _l("回复内容"), "branch_code": _l("适用网点"),
                     "created_at": _l("创建时间")}
    column_formatters = {"branch_code": _scope_label, "created_at": local_datetime}
    audit_target_type = "conversation_canned_reply"

    def scope_query(self, query):
        return branch_filter(query, CannedReply.branch_code, staff_branch_code())

    def on_model_change(self, form, model, is_created):
        if is_head_office():
            code = (model.branch_code or "").strip() or None
            if code and db.session.scalar(select(Branch.id).where(Branch.code == code)) is None:
                raise ValidationError(_("网点代码 %(code)s 不存在", code=code))
            model.branch_code = code
        else:
            model.branch_code = staff_branch_code()
        super().on_model_change(form, model, is_created)


def _staff_label(view, context, model, name):
    staff = model.staff
    return f"{staff.display_name}（{staff.username}）" if staff else ""


class AccountManagerForm(BaseForm):
    title = StringField(_l("职务"), description=_l("如：客户经理、理财经理"), render_kw={"maxlength": 32})
    phone = StringField(_l("工作电话"), description=_l("客户在「我的客户经理」页面看到并可拨打"),
                        render_kw={"maxlength": 20})
    photo_url = StringField(_l("照片地址"), description=_l("https 地址或 /static/ 下的路径"),
                            render_kw={"maxlength": 300})
    introduction = StringField(_l("简介"), render_kw={"maxlength": 200})
    active = BooleanField(_l("在岗"), default=True)

    def validate_phone(self, field):
        field.data = (field.data or "").strip()
        if field.data and not all(ch.isdigit() or ch in "-+ " for ch in field.data):
            raise ValidationError(_("电话只能包含数字、空格、+ 和 -"))

    def validate_photo_url(self, field):
        field.data = (field.data or "").strip()
        if field.data and not (field.data.startswith("https://") or field.data.startswith("/static/")):
            raise ValidationError(_("照片地址须以 https:// 或 /static/ 开头"))


class AccountManagerCreateForm(AccountManagerForm):
    staff_id = SelectField(_l("工作人员"), coerce=int, validate_choice=False,
                           description=_l("在岗的员工账号；成为客户经理后，指定给他的客户的会话直接分配给他"))

    def validate_staff_id(self, field):
        staff = db.session.get(StaffUser, field.data) if isinstance(field.data, int) and 0 < field.data < 2**31 \
            else None
        if staff is None or not staff.active:
            raise ValidationError(_("请选择在岗的员工账号"))
        if db.session.get(AccountManager, staff.id) is not None:
            raise ValidationError(_("%(name)s 已是客户经理，请直接编辑", name=staff.display_name))


class AccountManagerView(StaffModelView):
    """Head office: who is an account manager (a staff member with a profile the customer sees)."""

    head_office_only = True
    form = AccountManagerForm
    column_list = ("staff", "title", "phone", "active")
    column_labels = {"staff": _l("工作人员"), "title": _l("职务"), "phone": _l("工作电话"), "active": _l("在岗")}
    column_formatters = {"staff": _staff_label}
    audit_target_type = "conversation_manager"

    def get_create_form(self):
        return AccountManagerCreateForm

    def create_form(self, obj=None):
        form = super().create_form(obj)
        taken = select(AccountManager.staff_id)
        people = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True), StaffUser.id.not_in(taken))
                                    .order_by(StaffUser.display_name))
        form.staff_id.choices = [(p.id, f"{p.display_name}（{p.username}）") for p in people]
        return form


def _openid_label(view, context, model, name):
    return mask_openid(model.openid)


def _manager_label(view, context, model, name):
    return model.manager.staff.display_name if model.manager and model.manager.staff else ""


class CustomerManagerView(StaffModelView):
    """Head office: which customer is whose (set from a conversation's page), and their consent to be contacted."""

    head_office_only = True
    can_create = can_edit = False
    can_delete = True
    column_list = ("openid", "manager", "assigned_at", "assigned_by", "contact_consent")
    column_labels = {"openid": _l("客户"), "manager": _l("客户经理"), "assigned_at": _l("指定时间"),
                     "assigned_by": _l("指定人"), "contact_consent": _l("同意联系")}
    column_formatters = {"openid": _openid_label, "manager": _manager_label, "assigned_at": local_datetime}
    audit_target_type = "conversation_customer_manager"
    audit_pii = {"openid": "openid"}


class ServiceHoursForm(BaseForm):
    branch_code = StringField(_l("网点代码"), render_kw={"maxlength": 16})
    hours = StringField(_l("人工服务时间"), description=_l("如：周一至周五 9:00-17:00，周六 9:00-12:00"),
                        render_kw={"maxlength": 200})

    def validate_branch_code(self, field):
        field.data = (field.data or "").strip()
        if db.session.scalar(select(Branch.id).where(Branch.code == field.data)) is None:
            raise ValidationError(_("网点代码 %(code)s 不存在", code=field.data[:16]))

    def validate_hours(self, field):
        try:
            field.data = service.check_hours(field.data)
        except service.ConversationRefused as exc:
            raise ValidationError(str(exc.message)) from None


class ServiceHoursView(StaffModelView):
    head_office_only = True
    form = ServiceHoursForm
    column_list = ("branch_code", "hours", "updated_at")
    column_labels = {"branch_code": _l("网点代码"), "hours": _l("人工服务时间"), "updated_at": _l("更新时间")}
    column_formatters = {"updated_at": local_datetime}
    audit_target_type = "conversation_service_hours"

    def on_model_change(self, form, model, is_created):
        with db.session.no_autoflush:
            if is_created and db.session.get(ServiceHours, model.branch_code) is not None:
                raise ValidationError(_("该网点已设置服务时间，请直接编辑"))
        model.updated_at = service.now()
        super().on_model_change(form, model, is_created)


def add_views(admin) -> None:
    admin.add_view(ConversationView(name=_l("会话工作台"), endpoint="conversations", category=CATEGORY))
    admin.add_view(CannedReplyView(CannedReply, name=_l("常用回复"), endpoint="canned_replies", category=CATEGORY))
    admin.add_view(AccountManagerView(AccountManager, name=_l("客户经理"), endpoint="account_managers",
                                      category=CATEGORY))
    admin.add_view(CustomerManagerView(CustomerManager, name=_l("客户归属"), endpoint="customer_managers",
                                       category=CATEGORY))
    admin.add_view(ServiceHoursView(ServiceHours, name=_l("服务时间"), endpoint="service_hours", category=CATEGORY))

