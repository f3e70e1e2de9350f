"""The services the H5 hall lists. A later feature that builds its page sets `ready=True` and adds its own route."""

from dataclasses import dataclass

from ..i18n import _l


@dataclass(frozen=True)
class Service:
    key: str  # the page is /h5/<key>
    title: str  # lazy (_l): translated when a page shows it
    summary: str
    icon: str  # one character on the tile
    ready: bool = False

    @property
    def path(self) -> str:
        return f"/h5/{self.key}"


SERVICES = (
    Service("bind", _l("绑定银行卡"), _l("绑定本行借记卡，开通微信银行"), _l("卡"), ready=True),
    Service("cards", _l("我的银行卡"), _l("查看已绑定的银行卡，解除绑定"), _l("我"), ready=True),
    Service("balance", _l("余额查询"), _l("随时查看账户余额"), _l("余"), ready=True),
    Service("transfer", _l("转账汇款"), _l("向本行及他行账户转账"), _l("转"), ready=True),
    Service("products", _l("理财产品"), _l("浏览在售理财产品"), _l("财"), ready=True),
    Service("alerts", _l("动账提醒设置"), _l("资金变动，微信即时通知"), _l("铃"), ready=True),
)


def find_service(key: str) -> Service | None:
    return next((service for service in SERVICES if service.key == key), None)
