"""Keyword replies (关键词回复), head office only: text rules the chat answers after its built-in keywords.
Built-in keywords (余额, 理财, 人工 ...) cannot be taken; every change is audited."""

from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.form import BaseForm
from sqlalchemy import or_
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ...admin.base import CATEGORY_CONTENT, StaffModelView, current_staff
from ...admin.formatting import labelled, local_datetime
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.timeutil import utcnow
from .models import MATCH_CONTAINS, MATCH_EXACT, KeywordReply
from .rules import MAX_REPLY_CHARS, RuleError, check_match, check_reply_text, clean_keyword, keyword_taken

MATCH_LABELS = {MATCH_EXACT: _l("完全匹配"), MATCH_CONTAINS: _l("包含关键词")}


def _rule(check):
    """A WTForms validator from a replies.rules check; the cleaned value replaces what was typed."""

    def validator(form, field):
        try:
            field.data = check(field.data)
        except RuleError as exc:
            raise ValidationError(str(exc)) from None

    return validator


def enabled_label(view, context, model, name):
    return str(_l("启用")) if model.enabled else str(_l("停用"))


class KeywordReplyForm(BaseForm):
    keyword = StringField(_l("关键词"), validators=[_rule(clean_keyword)],
                          description=_l("最多 32 个字，不区分大小写；不能与系统内置关键词（余额、理财、人工等）相同"))
    match = SelectField(_l("匹配方式"), choices=list(MATCH_LABELS.items()), default=MATCH_EXACT, validate_choice=False,
                        validators=[_rule(check_match)],
                        description=_l("完全匹配：客户发送的文字就是关键词；包含：文字中含有关键词（多条命中时取最长的关键词）"))
    reply_text = TextAreaField(_l("回复内容"), validators=[_rule(check_reply_text)],
                               description=_l("纯文字，最多 600 个字；可用微信支持的 a 标签写链接"),
                               render_kw={"rows": 6, "maxlength": MAX_REPLY_CHARS})
    enabled = BooleanField(_l("启用"), default=True)


class KeywordReplyView(StaffModelView):
    head_office_only = True
    form = KeywordReplyForm
    column_list = ("keyword", "match", "reply_text", "enabled", "updated_at", "updated_by")
    column_details_list = ("id", *column_list)
    column_labels = {"id": _l("编号"), "keyword": _l("关键词"), "match": _l("匹配方式"), "reply_text": _l("回复内容"),
                     "enabled": _l("状态"), "updated_at": _l("更新时间"), "updated_by": _l("更新人")}
    column_formatters = {"match": labelled(MATCH_LABELS), "enabled": enabled_label, "updated_at": local_datetime}
    column_sortable_list = ("keyword", "updated_at")
    column_default_sort = ("keyword", False)
    column_filters = (FilterEqual(KeywordReply.enabled, _l("状态"), options=((True, _l("启用")), (False, _l("停用")))),)
    search_hint = _l("关键词或回复内容")
    audit_target_type = "keyword_reply"

    def search_clause(self, term):
        pattern = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return or_(KeywordReply.keyword.ilike(f"%{pattern}%", escape="\\"),
                   KeywordReply.reply_text.ilike(f"%{pattern}%", escape="\\"))

    def on_model_change(self, form, model, is_created):
        with db.session.no_autoflush:  # the row must not be written before the check
            if keyword_taken(model.keyword, None if is_created else model.id):
                raise ValidationError(_("关键词「%(keyword)s」已有回复规则，请直接编辑那一条", keyword=model.keyword))
        staff = current_staff()
        model.updated_by = staff.username if staff is not None else None
        model.updated_at = utcnow()
        super().on_model_change(form, model, is_created)


def add_views(admin) -> None:
    admin.add_view(KeywordReplyView(KeywordReply, name=_l("关键词回复"), endpoint="keyword_replies",
                                    category=CATEGORY_CONTENT))
