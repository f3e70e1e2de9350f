"""The alert settings form (动账提醒设置): Flask-WTF, so the POST carries the CSRF token."""

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError

from ...shared.i18n import _l
from .preferences import MAX_MIN_AMOUNT_FEN

AMOUNT = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?")


def to_fen(text: str) -> int | None:
    """"12.5" -> 1250 without floats; None when it is not an amount in yuan with at most 2 decimals."""
    match = AMOUNT.fullmatch(text)
    if not match:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def _amount(value: str | None) -> str:
    return re.sub(r"[\s,，¥￥元]", "", unicodedata.normalize("NFKC", value or ""))


class AlertSettingsForm(FlaskForm):
    enabled = BooleanField(_l("开启动账提醒"))
    min_amount = StringField(_l("提醒起点金额（元）"), filters=[_amount])
    sms_fallback = BooleanField(_l("微信无法送达时改发短信"))

    def validate_min_amount(self, field) -> None:
        if field.data == "":
            field.data = "0"
        fen = to_fen(field.data)
        if fen is None:
            raise ValidationError(_l("请输入金额，如 100 或 0.01，最多两位小数"))
        if fen > MAX_MIN_AMOUNT_FEN:
            raise ValidationError(_l("提醒起点金额不能超过 1,000,000 元"))

    @property
    def min_amount_fen(self) -> int:
        return to_fen(self.min_amount.data) or 0
