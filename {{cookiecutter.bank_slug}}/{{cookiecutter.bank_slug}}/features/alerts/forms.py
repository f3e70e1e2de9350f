"""The alert settings form (动账提醒设置): Flask-WTF, so the POST carries the CSRF token."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError

from ...shared.i18n import _l
from ...shared.money import AmountError, parse_yuan
from .preferences import MAX_MIN_AMOUNT_FEN


def to_fen(text: str | None) -> int | None:
    """"12.5", "¥1,000.5", "" -> fen (empty is 0) without floats; None when it is not an amount in yuan with at
    most 2 decimals."""
    value = (text or "").strip().lstrip("¥￥").strip() or "0"
    try:
        return parse_yuan(value, allow_zero=True, grouping=True)
    except AmountError:
        return None


class AlertSettingsForm(FlaskForm):
    enabled = BooleanField(_l("开启动账提醒"))
    min_amount = StringField(_l("提醒起点金额（元）"))
    sms_fallback = BooleanField(_l("微信无法送达时改发短信"))

    def validate_min_amount(self, field) -> None:
        fen = to_fen(field.data)
        if fen is None:
            raise ValidationError(_l("请输入金额，如 100 或 0.01，最多两位小数"))
        if fen > MAX_MIN_AMOUNT_FEN:
            raise ValidationError(_l("提醒起点金额不能超过 1,000,000 元"))

    @property
    def min_amount_fen(self) -> int:
        return to_fen(self.min_amount.data) or 0
