"""提醒 / 动账提醒: what the free alerts are and the link to their settings (账户 → 动账提醒设置)."""

from ...h5.links import public_url
from ...shared.i18n import _l

ALERTS_LINK = _l("动账提醒：账户每笔资金变动，微信免费即时通知您（须先绑定本行银行卡）。\n"
                 "开关提醒、设置起点金额或短信补发，请<a href=\"{url}\">点此进入动账提醒设置</a>。")


def register(router) -> None:
    def on_alerts(message):
        return ALERTS_LINK.format(url=public_url("h5.alerts.settings"))

    router.text("提醒", "动账提醒", "动账", "交易提醒", summary=_l("动账提醒设置"), order=310)(on_alerts)
