"""Menu keys of the default menu whose feature a later release brings: 即将开通, not 暂不支持.

Registered last, and only for keys no other module has claimed, so a feature that arrives
simply registers its own handler earlier in WECHAT_HANDLER_MODULES.
"""

from flask import current_app

PLANNED_KEYS = {"BALANCE": "余额查询"}
SOON = "{feature}功能即将开通，敬请期待。如需帮助请致电客服热线 {hotline}。"


def register(router) -> None:
    for key, feature in PLANNED_KEYS.items():
        if router.handles_click(key):
            continue

        def on_planned(message, feature=feature):
            return SOON.format(feature=feature, hotline=current_app.config["SERVICE_HOTLINE"])

        router.click(key)(on_planned)
