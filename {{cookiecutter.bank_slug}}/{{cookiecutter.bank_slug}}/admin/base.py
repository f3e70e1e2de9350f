"""What every admin page builds on: who the staff member is, what they may see, and the audited model view.

Rules (every page, list and form of /admin):
- Only a logged-in, active staff user gets in; anyone else goes to the login page.
- `head_office_only = True` pages answer 403 to branch operators and are hidden from their menu.
- A branch operator sees only their branch's rows: each model view says how in `scope_query(query)`;
  a record of another branch asked for by id is a 404, never the data.
- Every create, update and delete through a model view writes the audit log in the same transaction
  (`audit.record`), with PII masked in the before/after values.
- Forms are CSRF-protected by the app-wide Flask-WTF CSRFProtect (Flask-Admin's templates put
  `csrf_token()` in every form, the delete buttons and the list actions); a POST without it is a 400.
"""

import unicodedata
from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from sqlalchemy import Integer, false, inspect

from ..extensions import db
from ..shared.i18n import _l
from . import audit
from .models import ROLE_HEAD_OFFICE, StaffUser

# Menu categories shared by every admin module (pass as `category=`; the same text groups the items).
CATEGORY_BUSINESS = _l("客户与业务")
CATEGORY_CONTENT = _l("内容运营")
CATEGORY_SYSTEM = _l("系统管理")

MAX_SEARCH = 64  # characters of a search string that are used
MAX_ROW_ID = 2**31 - 1  # ids beyond INTEGER would be a database error on PostgreSQL: treat as "no such row"
MAX_PAGE = 1_000_000  # list pages: far beyond any real list, far within the database's OFFSET


# -- who is asking -------------------------------------------------------------------------------------
def current_staff() -> StaffUser | None:
    """The logged-in, active staff user of this request, or None."""
    if not current_user or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    if not isinstance(user, StaffUser) or not user.active:
        return None
    return user


def is_head_office(staff: StaffUser | None = None) -> bool:
    staff = staff if staff is not None else current_staff()
    return staff is not None and staff.role == ROLE_HEAD_OFFICE


def staff_branch_id() -> int | None:
    """The branch (bank_branch.id) of the current branch operator; None for head office or nobody."""
    staff = current_staff()
    return None if staff is None or is_head_office(staff) else staff.branch_id


def staff_branch_code() -> str | None:
    """The branch code (e.g. "0101") of the current branch operator; None for head office or nobody."""
    staff = current_staff()
    if staff is None or is_head_office(staff) or staff.branch is None:
        return None
    return staff.branch.code


def require_head_office() -> StaffUser:
    """For custom views and actions: the current staff user if head office; else login redirect / 403."""
    staff = current_staff()
    if staff is None:
        abort(redirect(login_url()))
    if not is_head_office(staff):
        abort(403)
    return staff


def login_url() -> str:
    return url_for("admin_auth.login", next=request.full_path if request.method == "GET" else None)


def _may_enter(head_office_only: bool) -> bool:
    staff = current_staff()
    return staff is not None and (not head_office_only or is_head_office(staff))


def _refuse():
    if current_staff() is None:
        return redirect(login_url())
    abort(403)


def branch_filter(query, column, value):
    """`query` narrowed to rows whose `column` equals the operator's branch `value`; a branch operator
    without a branch sees nothing. Use in `scope_query`: branch_filter(query, Customer.branch_id, staff_branch_id())."""
    if value is None:
        return query.filter(false())
    return query.filter(column == value)


def clean_search(text: str) -> str:
    """A search string safe for any database: control characters (NUL breaks PostgreSQL) dropped, spaces
    collapsed, at most MAX_SEARCH characters."""
    printable = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text or "")
    return " ".join(printable.split())[:MAX_SEARCH]


# -- views -----------------------------------------------------------------------------------------------
class StaffView(BaseView):
    """A custom admin page (`@expose` methods) with the same access rules as the model views."""

    head_office_only = False

    def is_accessible(self) -> bool:
        return _may_enter(self.head_office_only)

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()


class StaffIndexView(AdminIndexView):
    """Base of the dashboard (the /admin index page)."""

    def is_accessible(self) -> bool:
        return _may_enter(False)

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()


class StaffModelView(ModelView):
    """A Flask-Admin list/detail/form view with access rules, branch scope and audit.

    Subclasses set `head_office_only`, override `scope_query(query)` for branch scope (see
    `branch_filter`), and may set `audit_target_type` (default: the table name), `audit_exclude`
    (columns left out of before/after) and `audit_pii` (extra column -> "card" | "phone" | "id_number" |
    "name" | "openid" | "secret" masking).
    """

    head_office_only = False
    can_export = False
    can_view_details = True
    can_set_page_size = False
    page_size = 50
    action_disallowed_list = ["delete"]  # bulk delete off; a view that may delete rows re-enables it on purpose

    audit_target_type: str | None = None
    audit_exclude: tuple[str, ...] = ()
    audit_pii: dict[str, str] = {}

    def __init__(self, model, session=None, **kwargs):
        super().__init__(model, session if session is not None else db, **kwargs)  # Flask-Admin 2: pass `db`

    # -- access ----------------------------------------------------------------------------------------
    def is_accessible(self) -> bool:
        return _may_enter(self.head_office_only)

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        # Flask-Admin answers a switched-off page with a redirect; here it is a plain 403 (no hidden routes).
        switched_off = {"create_view": not self.can_create, "edit_view": not self.can_edit,
                        "delete_view": not self.can_delete, "details_view": not self.can_view_details,
                        "export": not self.can_export}
        if switched_off.get(name):
            abort(403)
        return None

    def validate_form(self, form) -> bool:
        valid = super().validate_form(form)
        for field in form:  # lazy (_l) messages are not `string` to Flask-Admin's templates: make them text
            if isinstance(field.errors, list):
                field.errors = [str(error) if not isinstance(error, dict | list) else error for error in field.errors]
        return valid

    # -- search --------------------------------------------------------------------------------------------
    search_hint = None  # placeholder text of the search box when `search_clause` is used

    def search_clause(self, term: str):
        """Override to search on fields that are safe to match (codes, ids, card tails, masked values),
        never on clear PII. `term` is stripped and at most MAX_SEARCH characters; return a SQL condition,
        or None for "nothing matches". Used instead of `column_searchable_list` when overridden."""
        return None

    def _custom_search(self) -> bool:
        return type(self).search_clause is not StaffModelView.search_clause

    def init_search(self) -> bool:
        return True if self._custom_search() else super().init_search()

    def search_placeholder(self):
        if self._custom_search():
            return str(self.search_hint) if self.search_hint else None
        return super().search_placeholder()

    def _apply_search(self, query, count_query, joins, count_joins, search):
        term = clean_search(search)
        if not self._custom_search():
            return super()._apply_search(query, count_query, joins, count_joins, term)
        if not term:
            return query, count_query, joins, count_joins
        clause = self.search_clause(term)
        if clause is None:
            clause = false()
        query = query.filter(clause)
        if count_query is not None:
            count_query = count_query.filter(clause)
        return query, count_query, joins, count_joins

    # -- branch scope ------------------------------------------------------------------------------------
    def scope_query(self, query):
        """Narrow `query` (a list query or the count query over this model) to the current branch
        operator's branch. Called only for branch operators. The default shows them nothing: a view that
        branch operators may use must override it (e.g. with `branch_filter`)."""
        return query.filter(false())

    def _scoped(self, query):
        staff = current_staff()
        if staff is None:
            return query.filter(false())
        return query if is_head_office(staff) else self.scope_query(query)

    def get_query(self):
        return self._scoped(super().get_query())

    def get_count_query(self):
        return self._scoped(super().get_count_query())

    def get_list(self, page, *args, **kwargs):
        """`?page=-1` is the first page (PostgreSQL refuses a negative OFFSET); a page beyond MAX_PAGE is
        an empty page past the end (a 20-digit page would overflow the database's OFFSET)."""
        if isinstance(page, int):
            page = min(max(0, page), MAX_PAGE)
        return super().get_list(page, *args, **kwargs)

    def get_one(self, id: Any):
        """The record with this id within the operator's scope; 404 for anything else (another branch's
        record, a missing one, a malformed id)."""
        key = self._parse_pk(id)
        if key is None:
            abort(404)
        pk_column = getattr(self.model, self._primary_key)
        record = self.get_query().filter(pk_column == key).one_or_none()
        if record is None:
            abort(404)
        return record

    def _parse_pk(self, raw: Any):
        if raw is None:
            return None
        text = str(raw).strip()
        if not text or len(text) > 64:
            return None
        column = inspect(self.model).columns[self._primary_key]
        if isinstance(column.type, Integer):
            if not text.isascii() or not text.isdigit():
                return None
            value = int(text)
            return value if 0 < value <= MAX_ROW_ID else None
        return text

    # -- audit ---------------------------------------------------------------------------------------------
    @property
    def target_type(self) -> str:
        return self.audit_target_type or self.model.__tablename__

    def audited_values(self, model, *, before: bool = False) -> dict:
        """The row's column values (or, with before=True, the values it had before this unit of work's
        changes), without `audit_exclude` columns. Masking happens in `audit.record`."""
        state = inspect(model)
        values = {}
        for attr in state.mapper.column_attrs:
            if attr.key in self.audit_exclude:
                continue
            value = getattr(model, attr.key)
            if before:
                history = state.attrs[attr.key].history
                if history.deleted:
                    value = history.deleted[0]
            values[attr.key] = value
        return values

    def on_model_change(self, form, model, is_created):
        before = None if is_created else self.audited_values(model, before=True)
        db.session.flush()  # a new row gets its id
        audit.record("create" if is_created else "update", self.target_type, self.get_pk_value(model),
                     before, self.audited_values(model), pii=self.audit_pii, commit=False)

    def on_model_delete(self, model):
        audit.record("delete", self.target_type, self.get_pk_value(model), self.audited_values(model), None,
                     pii=self.audit_pii, commit=False)
