"""Conversations with staff (人工服务), built in: 人工 / 转人工 / 客户经理 open a conversation routed to the customer's
account manager or the branch queue; staff work it in the admin panel (inboxes per staff member and branch, live
updates, the masked profile beside the thread, canned replies, transfer, close with a rating request); replies go
through the outbox (topic `conversation_reply`: customer-service message inside WeChat's window, else a template
notice and the H5 page); service hours per branch; 我的客户经理 on H5; retention and CSV export
(`flask conversations prune|export`); first-response and resolution times on the dashboard.
"""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="conversations",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("conversations/manager", _l("我的客户经理"), _l("联系您的专属客户经理，在线咨询"), _l("经")),),
    admin=(".admin",),
    dashboard=(".dashboard",),
    cli=(".cli:conversations",),
    setup=(".notify:install",),  # the outbox topic `conversation_reply`
    seed_demo=(".demo:seed",),
)
