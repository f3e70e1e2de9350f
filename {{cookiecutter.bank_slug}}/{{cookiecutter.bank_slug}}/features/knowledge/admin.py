"""The knowledge base in the admin panel (head office): entries with their synonyms, and the questions no entry
answered, most asked first, each with a link that starts an entry from it. Every change is audited."""

from flask import flash, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.form import BaseForm
from markupsafe import Markup, escape
from sqlalchemy import or_
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ...admin import audit
from ...admin.base import CATEGORY_CONTENT, StaffModelView, current_staff
from ...admin.formatting import labelled, local_datetime
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.timeutil import utcnow
from .models import STATUS_ADDED, STATUS_DISMISSED, STATUS_OPEN, KnowledgeEntry, UnansweredQuestion

MAX_QUESTION, MAX_ANSWER, MAX_SYNONYMS, MAX_SYNONYM = 100, 600, 20, 100
MAX_TEXT_BYTES = 2048  # WeChat's limit for a text reply
STATUS_LABELS = {STATUS_OPEN: _l("待处理"), STATUS_ADDED: _l("已加入知识库"), STATUS_DISMISSED: _l("已忽略")}


def _question(form, field):
    value = " ".join((field.data or "").split())
    if not value:
        raise ValidationError(_("请填写问题"))
    if len(value) > MAX_QUESTION:
        raise ValidationError(_("问题最多 %(n)s 个字", n=MAX_QUESTION))
    field.data = value


def _synonyms(form, field):
    lines = [" ".join(line.split()) for line in (field.data or "").splitlines()]
    lines = list(dict.fromkeys(line for line in lines if line))
    if len(lines) > MAX_SYNONYMS:
        raise ValidationError(_("同义问法最多 %(n)s 行", n=MAX_SYNONYMS))
    if any(len(line) > MAX_SYNONYM for line in lines):
        raise ValidationError(_("每行同义问法最多 %(n)s 个字", n=MAX_SYNONYM))
    field.data = "\n".join(lines)


def _answer(form, field):
    value = (field.data or "").strip()
    if not value:
        raise ValidationError(_("请填写答案"))
    if len(value) > MAX_ANSWER:
        raise ValidationError(_("答案最多 %(n)s 个字", n=MAX_ANSWER))
    if len(value.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ValidationError(_("答案超过微信文字消息的 2048 字节上限，请缩短"))
    field.data = value


class KnowledgeEntryForm(BaseForm):
    question = StringField(_l("问题"), validators=[_question], render_kw={"maxlength": MAX_QUESTION},
                           description=_l("客户看到的问法，例如「银行卡丢了怎么挂失？」"))
    synonyms = TextAreaField(_l("同义问法"), validators=[_synonyms], render_kw={"rows": 5},
                             description=_l("其他问法，每行一个，最多 20 行；按词语相似度匹配，不必穷举"))
    answer = TextAreaField(_l("答案"), validators=[_answer], render_kw={"rows": 6, "maxlength": MAX_ANSWER},
                           description=_l("纯文字，最多 600 个字；可用微信支持的 a 标签写链接"))
    enabled = BooleanField(_l("启用"), default=True)


def _enabled(view, context, model, name):
    return str(_l("启用")) if model.enabled else str(_l("停用"))


class KnowledgeEntryView(StaffModelView):
    head_office_only = True
    form = KnowledgeEntryForm
    column_list = ("question", "synonyms", "answer", "enabled", "hits", "updated_at", "updated_by")
    column_details_list = ("id", *column_list)
    column_labels = {"id": _l("编号"), "question": _l("问题"), "synonyms": _l("同义问法"), "answer": _l("答案"),
                     "enabled": _l("状态"), "hits": _l("回答次数"), "updated_at": _l("更新时间"),
                     "updated_by": _l("更新人")}
    column_formatters = {"enabled": _enabled, "updated_at": local_datetime}
    column_sortable_list = ("question", "hits", "updated_at")
    column_default_sort = ("hits", True)
    column_filters = (FilterEqual(KnowledgeEntry.enabled, _l("状态"),
                                  options=((True, _l("启用")), (False, _l("停用")))),)
    search_hint = _l("问题、同义问法或答案")
    audit_target_type = "knowledge_entry"
    audit_exclude = ("hits",)

    def search_clause(self, term):
        pattern = f"%{term.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%"
        return or_(KnowledgeEntry.question.ilike(pattern, escape="\\"),
                   KnowledgeEntry.synonyms.ilike(pattern, escape="\\"),
                   KnowledgeEntry.answer.ilike(pattern, escape="\\"))

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET" and request.args.get("question"):  # started from an unanswered question
            form.question.data = request.args["question"][:MAX_QUESTION]
        return form

    def on_model_change(self, form, model, is_created):
        staff = current_staff()
        model.updated_by = staff.username if staff is not None else None
        model.updated_at = utcnow()
        unanswered = request.args.get("unanswered", type=int)
        if is_created and unanswered:
            question = db.session.get(UnansweredQuestion, unanswered)
            if question is not None and question.status == STATUS_OPEN:
                question.status = STATUS_ADDED
        super().on_model_change(form, model, is_created)


def _add_link(view, context, model, name):
    if model.status != STATUS_OPEN:
        return ""
    url = url_for("knowledge.create_view", question=model.text, unanswered=model.id)
    return Markup('<a href="{}">{}</a>').format(escape(url), _("加入知识库"))


class UnansweredQuestionView(StaffModelView):
    """Read-only: customers' words (masked when stored) are not edited, only answered or dismissed."""

    head_office_only = True
    can_create = can_edit = can_delete = False
    column_list = ("text", "times", "status", "first_asked_at", "last_asked_at", "add")
    column_details_list = ("id", "text", "times", "status", "first_asked_at", "last_asked_at")
    column_labels = {"id": _l("编号"), "text": _l("客户的问题"), "times": _l("次数"), "status": _l("状态"),
                     "first_asked_at": _l("首次提问"), "last_asked_at": _l("最近提问"), "add": ""}
    column_formatters = {"status": labelled(STATUS_LABELS), "first_asked_at": local_datetime,
                         "last_asked_at": local_datetime, "add": _add_link}
    column_sortable_list = ("times", "last_asked_at")
    column_default_sort = ("times", True)
    column_filters = (FilterEqual(UnansweredQuestion.status, _l("状态"), options=tuple(STATUS_LABELS.items())),)
    search_hint = _l("问题文字")
    audit_target_type = "knowledge_unanswered"

    def search_clause(self, term):
        pattern = f"%{term.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%"
        return UnansweredQuestion.text.ilike(pattern, escape="\\")

    @action("dismiss", _l("忽略"), _l("确定忽略所选问题？它们不再列为待处理。"))
    def action_dismiss(self, ids):
        keys = [key for key in (self._parse_pk(i) for i in ids) if key is not None]
        rows = list(self.get_query().filter(UnansweredQuestion.id.in_(keys),
                                            UnansweredQuestion.status == STATUS_OPEN)) if keys else []
        for row in rows:
            audit.record("dismiss", self.target_type, row.id, {"status": row.status}, {"status": STATUS_DISMISSED},
                         commit=False)
            row.status = STATUS_DISMISSED
        db.session.commit()
        flash(_("已忽略 %(n)s 个问题。", n=len(rows)), "success" if rows else "warning")


def add_views(admin) -> None:
    admin.add_view(KnowledgeEntryView(KnowledgeEntry, name=_l("知识库"), endpoint="knowledge",
                                      category=CATEGORY_CONTENT))
    admin.add_view(UnansweredQuestionView(UnansweredQuestion, name=_l("未解答问题"), endpoint="knowledge_unanswered",
                                          category=CATEGORY_CONTENT))
