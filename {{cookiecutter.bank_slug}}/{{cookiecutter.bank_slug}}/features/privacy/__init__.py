"""Personal information (个人信息保护): the privacy notice and the separate consent that card binding needs (PIPL
arts. 28-29), 我的信息 (see and download what the service keeps) and 注销微信银行服务 (unbind and erase, keeping what
the audit and the law require; arts. 44-47), retention periods enforced by `flask privacy prune`, and the keys of
the encryption at rest (`flask privacy rotate-keys`, `key-status`)."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="privacy",
    package=__name__,
    models=(".models",),
    h5=(".h5",),
    hall=(HallTile("privacy/mine", _l("我的信息"), _l("查看、下载本服务保存的您的信息，撤回同意或注销"), _l("私")),),
    cli=(".cli:privacy_group",),
    setup=(".consent:install",),
)
