"""Card binding (绑卡): the identity check through the core, the SMS code, several cards per WeChat user,
unbinding by the customer (H5) or by staff (admin panel); the admin's customer and binding lists."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="binding",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(
        HallTile("bind", _l("绑定银行卡"), _l("绑定本行借记卡，开通微信银行"), _l("卡")),
        HallTile("cards", _l("我的银行卡"), _l("查看已绑定的银行卡，解除绑定"), _l("我")),
    ),
    admin=(".admin_customers", ".admin"),
    dashboard=(".dashboard",),
)
