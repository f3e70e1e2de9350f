"""Transfers (转账汇款): the order table, limits, the PIN guard, posting through the core-banking port, the
outcome notice (an outbox topic); the H5 form -> confirmation -> result pages and the admin's read-only list."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="transfers",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("transfer", _l("转账汇款"), _l("向本行及他行账户转账"), _l("转")),),
    admin=(".admin",),
    dashboard=(".dashboard",),
    cli=(".cli:transfers",),
    setup=(".notify:install", ".safety:check_config"),  # the outbox topics `transfer_outcome`, `transfer_release`
)
