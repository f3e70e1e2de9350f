"""Menu keys and keywords whose feature a later release brings: 即将开通, not 暂不支持 or 没能理解.

Registered last, and only for keys no other module has claimed, so a feature that arrives
simply registers its own handler earlier in WECHAT_HANDLER_MODULES.
"""

from flask import current_app

from ...i18n import _l

PLANNED_KEYS = {"BALANCE": _l("余额查询")}
# Keywords the welcome message and the menu already promise.
PLANNED_KEYWORDS = {"绑定": _l("绑定银行卡"), "余额": _l("余额查询"), "转账": _l("转账汇款"), "理财": _l("理财产品")}
SOON = _l("{feature}功能即将开通，敬请期待。如需帮助请致电客服热线 {hotline}。")


def _planned(feature: str):
    def on_planned(message):
        return SOON.format(feature=feature, hotline=current_app.config["SERVICE_HOTLINE"])

    return on_planned


def register(router) -> None:
    for key, feature in PLANNED_KEYS.items():
        if not router.handles_click(key):
            router.click(key)(_planned(feature))
    for keyword, feature in PLANNED_KEYWORDS.items():
        if not router.handles_text(keyword):
            router.text(keyword)(_planned(feature))
