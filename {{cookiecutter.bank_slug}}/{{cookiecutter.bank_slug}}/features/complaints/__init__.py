"""Complaints (投诉), after 《银行业保险业消费投诉处理管理办法》: the H5 form and ticket pages, the 投诉 keyword,
the acknowledgement and every staff step told through the outbox (topic `complaint_notice`), the head-office
queue assigned to branches with the 15/30/60-day clock, the monthly CSV report (panel and `flask complaints report`).
"""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="complaints",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("complaints", _l("投诉建议"), _l("在线投诉，查询处理进度"), _l("诉")),),
    admin=(".admin",),
    dashboard=(".dashboard",),
    cli=(".cli:complaints",),
    setup=(".notify:install",),  # the outbox topic `complaint_notice`
)
