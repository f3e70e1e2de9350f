"""The services the H5 hall lists. A later feature that builds its page sets `ready=True` and adds its own route."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    key: str  # the page is /h5/<key>
    title: str
    summary: str
    icon: str  # one character on the tile
    ready: bool = False

    @property
    def path(self) -> str:
        return f"/h5/{self.key}"


SERVICES = (
    Service("bind", "绑定银行卡", "绑定本行借记卡，开通微信银行", "卡", ready=True),
    Service("cards", "我的银行卡", "查看已绑定的银行卡，解除绑定", "我", ready=True),
    Service("balance", "余额查询", "随时查看账户余额", "余"),
    Service("transfer", "转账汇款", "向本行及他行账户转账", "转", ready=True),
    Service("products", "理财产品", "浏览在售理财产品", "财"),
    Service("alerts", "动账提醒设置", "资金变动，微信即时通知", "铃"),
)


def find_service(key: str) -> Service | None:
    return next((service for service in SERVICES if service.key == key), None)
