"""The binding feature's dashboard panel: WeChat users with a bound card, and the active bindings."""

from ...admin.stats import Figure, Stat
from ...shared.i18n import _
from .service import bound_customers


def panels(branch_code: str | None, days) -> list:
    users, cards = bound_customers(branch_code)
    return [Stat(_("已绑卡客户（微信用户）"), (Figure(users, "bound-users"),), _("有效绑卡 %(n)d 张", n=cards))]
