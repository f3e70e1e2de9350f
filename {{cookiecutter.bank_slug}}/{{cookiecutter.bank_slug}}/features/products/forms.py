"""Every rule a wealth product must meet, in one place: for the WTForm here and for the admin panel.

Two steps, both reusable without the form:
- `clean_product_input(raw)` turns what staff type (percent, yuan, dates as text) into the model's values
  (basis points, fen, dates) exactly (shared/money.py: never float); it reports what cannot be read.
- `validate_product(values, existing_id)` checks the model's values: bounds, min <= max, the sale window,
  the code's shape and uniqueness. Both return {model field: Chinese message}.
Text (name, description) is kept as the plain text typed, script or not; pages and replies escape it.
"""

import re
import unicodedata
from datetime import date, datetime

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField

from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.money import AmountError, format_percent, parse_percent, parse_yuan
from .models import (
    CODE_PATTERN,
    DESCRIPTION_MAX,
    MIN_PURCHASE_CEILING_FEN,
    MIN_PURCHASE_FLOOR_FEN,
    NAME_MAX,
    RISK_GRADES,
    RISK_LABELS,
    STATUS_DRAFT,
    STATUS_LABELS,
    STATUSES,
    TERM_MAX_DAYS,
    TERM_MIN_DAYS,
    YIELD_MAX_BP,
    YIELD_MIN_BP,
    WealthProduct,
)

# The model's fields, in form order. The form names the three figures typed in other units differently.
PRODUCT_FIELDS = ("code", "name", "risk_grade", "yield_min_bp", "yield_max_bp", "term_days", "min_purchase_fen",
                  "sale_start", "sale_end", "status", "description")
FORM_FIELD = {"yield_min_bp": "yield_min_percent", "yield_max_bp": "yield_max_percent",
              "min_purchase_fen": "min_purchase_yuan"}
CODE = re.compile(CODE_PATTERN)
MAX_TEXT_INPUT = 20
DATE_FLOOR = date(2000, 1, 1)
DATE_CEILING = date(2099, 12, 31)


class FigureError(AmountError):
    """A term or a date that cannot be read; amounts and rates raise AmountError (shared/money.py) itself."""


# -- reading what staff typed -----------------------------------------------------------------------
def normalise_code(text) -> str:
    """" lc2026001 " and full-width "ＬＣ２０２６００１" -> "LC2026001"."""
    return unicodedata.normalize("NFKC", str(text or "")).strip().upper()


def normalise_name(text) -> str:
    """Whitespace collapsed; full-width punctuation (（）、) kept as typed."""
    return " ".join(str(text or "").split())


def normalise_description(text) -> str:
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _has_control_chars(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in text)


def _parse_days(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if text.endswith("天"):
        text = text[:-1].strip()
    if not text:
        raise FigureError(_("请输入产品期限（天数）"))
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_TEXT_INPUT:
        raise FigureError(_("产品期限应为整数天数"))
    return int(text)


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        raise FigureError(_("请选择日期"))
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise FigureError(_("日期格式应为“年-月-日”，如 2026-01-31")) from None


def clean_product_input(raw: dict) -> tuple[dict, dict]:
    """Form input (keys: the form's field names; text or already typed values) -> (model values, errors).

    A field that cannot be read is left out of the values and named in the errors."""
    values: dict = {
        "code": normalise_code(raw.get("code")),
        "name": normalise_name(raw.get("name")),
        "risk_grade": normalise_code(raw.get("risk_grade")),
        "status": str(raw.get("status") or "").strip(),
        "description": normalise_description(raw.get("description")),
    }
    errors: dict = {}
    readers = {
        "yield_min_bp": (lambda v: parse_percent(v, _("预期年化收益率下限")), raw.get("yield_min_percent")),
        "yield_max_bp": (lambda v: parse_percent(v, _("预期年化收益率上限")), raw.get("yield_max_percent")),
        "term_days": (_parse_days, raw.get("term_days")),
        "min_purchase_fen": (lambda v: parse_yuan(v, _("起购金额"), allow_zero=True, grouping=True),
                             raw.get("min_purchase_yuan")),
        "sale_start": (_parse_date, raw.get("sale_start")),
        "sale_end": (_parse_date, raw.get("sale_end")),
    }
    for field, (read, value) in readers.items():
        try:
            values[field] = read(value)
        except AmountError as exc:
            errors[field] = exc.message
    return values, errors


# -- the rules ------------------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def code_taken(code: str, existing_id: int | None = None) -> bool:
    query = select(WealthProduct.id).where(WealthProduct.code == code)
    if existing_id is not None:
        query = query.where(WealthProduct.id != existing_id)
    return db.session.execute(query.limit(1)).first() is not None


def _check_code(code, existing_id) -> str | None:
    if not code:
        return _("请输入产品代码")
    if not isinstance(code, str) or not CODE.fullmatch(code):
        return _("产品代码应为 4 至 20 位大写英文字母或数字，如 LC2026001")
    if code_taken(code, existing_id):
        return _("产品代码已存在")
    return None


def _check_text(values: dict, errors: dict) -> None:
    name = values.get("name")
    if not name or not isinstance(name, str):
        errors["name"] = _("请输入产品名称")
    elif len(name) > NAME_MAX:
        errors["name"] = _("产品名称不能超过 %(max)s 个字", max=NAME_MAX)
    elif _has_control_chars(name):
        errors["name"] = _("产品名称包含不可见的控制字符，请重新输入")
    description = values.get("description") or ""
    if not isinstance(description, str):
        errors["description"] = _("产品说明应为文字")
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = _("产品说明不能超过 %(max)s 个字（当前 %(count)s 个）", max=DESCRIPTION_MAX,
                                   count=len(description))
    elif _has_control_chars(description, allowed="\n\t"):
        errors["description"] = _("产品说明包含不可见的控制字符，请重新输入")


def _check_figures(values: dict, errors: dict) -> None:
    bounds = _("预期年化收益率应在 %(low)s 至 %(high)s 之间", low=format_percent(YIELD_MIN_BP),
               high=format_percent(YIELD_MAX_BP))
    for field in ("yield_min_bp", "yield_max_bp"):
        value = values.get(field)
        if not _is_int(value):
            errors[field] = _("请输入预期年化收益率")
        elif not YIELD_MIN_BP <= value <= YIELD_MAX_BP:
            errors[field] = bounds
    low, high = values.get("yield_min_bp"), values.get("yield_max_bp")
    if "yield_min_bp" not in errors and "yield_max_bp" not in errors and low > high:
        errors["yield_min_bp"] = _("预期年化收益率下限不能高于上限")
    term = values.get("term_days")
    if not _is_int(term):
        errors["term_days"] = _("请输入产品期限（天数）")
    elif not TERM_MIN_DAYS <= term <= TERM_MAX_DAYS:
        errors["term_days"] = _("产品期限应为 %(low)s 至 %(high)s 天", low=TERM_MIN_DAYS, high=TERM_MAX_DAYS)
    amount = values.get("min_purchase_fen")
    if not _is_int(amount):
        errors["min_purchase_fen"] = _("请输入起购金额")
    elif amount < MIN_PURCHASE_FLOOR_FEN:
        errors["min_purchase_fen"] = _("起购金额不能低于 1 元")
    elif amount > MIN_PURCHASE_CEILING_FEN:
        errors["min_purchase_fen"] = _("起购金额过大，请核对")


def _check_window(values: dict, errors: dict) -> None:
    for field in ("sale_start", "sale_end"):
        value = values.get(field)
        if not _is_date(value):
            errors[field] = _("请选择销售日期")
        elif not DATE_FLOOR <= value <= DATE_CEILING:
            errors[field] = _("销售日期超出合理范围，请核对")
    if "sale_start" not in errors and "sale_end" not in errors and values["sale_start"] > values["sale_end"]:
        errors["sale_end"] = _("销售结束日期不能早于开始日期")


def validate_product(values: dict, existing_id: int | None = None) -> dict[str, str]:
    """{model field: Chinese message} for every rule `values` (the model's fields and units) breaks; {} if none.

    `existing_id` is the product being edited (its own code is not a duplicate)."""
    errors: dict[str, str] = {}
    code_error = _check_code(values.get("code"), existing_id)
    if code_error:
        errors["code"] = code_error
    _check_text(values, errors)
    if values.get("risk_grade") not in RISK_GRADES:
        errors["risk_grade"] = _("请选择风险等级（R1 至 R5）")
    _check_figures(values, errors)
    _check_window(values, errors)
    if values.get("status") not in STATUSES:
        errors["status"] = _("请选择产品状态")
    return errors


def apply_values(product: WealthProduct, values: dict) -> WealthProduct:
    for field in PRODUCT_FIELDS:
        setattr(product, field, values[field])
    return product


# -- the form -------------------------------------------------------------------------------------
def risk_choices() -> list[tuple[str, str]]:
    return [(grade, f"{grade} {RISK_LABELS[grade]}") for grade in RISK_GRADES]


def status_choices() -> list[tuple[str, str]]:
    return [(status, str(STATUS_LABELS[status])) for status in STATUSES]


class ProductForm(FlaskForm):
    """Create or edit a product. `ProductForm(obj=product)` (as Flask-Admin does) or `existing_id=` marks an
    edit; after `validate()`, `values` holds the model's values and `populate_obj(product)` stores them."""

    code = StringField(_l("产品代码"), description=_l("4 至 20 位大写英文字母或数字，如 LC2026001"))
    name = StringField(_l("产品名称"), description=_l("不超过 40 个字"))
    risk_grade = SelectField(_l("风险等级"), choices=[], validate_choice=False)
    yield_min_percent = StringField(_l("预期年化收益率下限（%）"), description=_l("如 2.80，最多两位小数"))
    yield_max_percent = StringField(_l("预期年化收益率上限（%）"), description=_l("如 3.20，不低于下限"))
    term_days = StringField(_l("产品期限（天）"), description=_l("1 至 3650 天"))
    min_purchase_yuan = StringField(_l("起购金额（元）"), description=_l("不低于 1 元，最多两位小数"))
    sale_start = StringField(_l("销售开始日期"), render_kw={"type": "date"})
    sale_end = StringField(_l("销售结束日期"), render_kw={"type": "date"})
    status = SelectField(_l("产品状态"), choices=[], default=STATUS_DRAFT, validate_choice=False)
    description = TextAreaField(_l("产品说明"), description=_l("纯文本，不超过 2000 个字；不支持 HTML"),
                                render_kw={"rows": 6, "maxlength": DESCRIPTION_MAX})

    def __init__(self, *args, existing_id: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        obj = kwargs.get("obj") or (args[1] if len(args) > 1 else None)
        self.existing_id = existing_id if existing_id is not None else getattr(obj, "id", None)
        self.risk_grade.choices = risk_choices()
        self.status.choices = status_choices()
        self.values: dict = {}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)  # the CSRF token
        raw = {name: field.data for name, field in self._fields.items()}
        values, errors = clean_product_input(raw)
        rule_errors = validate_product(values, self.existing_id)
        for field, message in {**rule_errors, **errors}.items():  # a reading error is the more precise one
            self[FORM_FIELD.get(field, field)].errors.append(message)
        self.values = values if valid and not errors and not rule_errors else {}
        return bool(self.values)

    def populate_obj(self, obj) -> None:
        if not self.values:
            raise ValueError("populate_obj() needs a successful validate()")
        apply_values(obj, self.values)
