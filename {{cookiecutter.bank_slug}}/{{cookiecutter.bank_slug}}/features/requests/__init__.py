"""Requests routed to a branch (网点受理的申请): one mechanism, several kinds. A customer's request goes to a
branch's queue in the admin panel; staff move it through its kind's statuses with a note; every change is an
outbox notice to the customer and an audit entry. Kinds built here: loan applications (申请贷款) and card-opening
appointments (办卡预约: per-branch slots with a capacity, closed days, a reminder the day before)."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="requests",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("requests", _l("贷款与办卡预约"), _l("申请贷款、预约网点办卡"), _l("约")),),
    admin=(".admin",),
    dashboard=(".dashboard",),
    setup=(".notify:install",),  # the outbox topic `branch_request`
    seed_demo=(".demo:seed",),
)
