"""The binding pages' forms (Flask-WTF: every POST carries the CSRF token). Input is normalised
(full-width digits, spaces, dashes) before it is checked; every message is Chinese."""

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ...shared.cards import luhn_valid, normalise_card
from ...shared.i18n import _, _l
from ...shared.identity import id_number_valid, mobile_valid, normalise_id_number, normalise_mobile

CODE = re.compile(r"\d{6}")


def _card(value: str | None) -> str:
    return normalise_card(unicodedata.normalize("NFKC", value or "")) or (value or "").strip()


def _name(value: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


def _code(value: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))


class BindForm(FlaskForm):
    card_number = StringField(_l("银行卡号"), filters=[_card], validators=[DataRequired(_l("请输入银行卡号"))])
    holder_name = StringField(_l("姓名"), filters=[_name], validators=[
        DataRequired(_l("请输入开户人姓名")), Length(max=30, message=_l("姓名过长，请核对"))])
    id_number = StringField(_l("身份证号"), filters=[normalise_id_number],
                            validators=[DataRequired(_l("请输入身份证号"))])
    phone = StringField(_l("手机号"), filters=[normalise_mobile], validators=[DataRequired(_l("请输入预留手机号"))])

    def validate_card_number(self, field) -> None:
        if not field.data.isdigit() or not 12 <= len(field.data) <= 19:
            raise ValidationError(_("银行卡号应为 12 至 19 位数字"))
        if not luhn_valid(field.data):
            raise ValidationError(_("银行卡号有误（校验位不符），请核对"))

    def validate_id_number(self, field) -> None:
        if not id_number_valid(field.data):
            raise ValidationError(_("身份证号格式有误，请输入 18 位居民身份证号码"))

    def validate_phone(self, field) -> None:
        if not mobile_valid(field.data):
            raise ValidationError(_("手机号格式有误，请输入 11 位手机号码"))


class CodeForm(FlaskForm):
    code = StringField(_l("短信验证码"), filters=[_code], validators=[DataRequired(_l("请输入短信验证码"))])

    def validate_code(self, field) -> None:
        if not CODE.fullmatch(field.data):
            raise ValidationError(_("验证码为 6 位数字"))


class ResendForm(FlaskForm):
    """Only the CSRF token."""


class UnbindForm(FlaskForm):
    binding_id = HiddenField(validators=[DataRequired(_l("缺少要解绑的银行卡"))])
