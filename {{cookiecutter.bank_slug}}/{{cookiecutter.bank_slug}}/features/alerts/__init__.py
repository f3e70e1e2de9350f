"""Free transaction alerts (动账提醒): their ingestion (ledger postings, the core's push API, end-of-day CSV),
the customer's rules (H5), the dispatcher that delivers them as WeChat template messages (SMS as the
opted-in fallback), the metrics, and the admin's alert list."""

from ...feature import Feature, HallTile
from ...shared.i18n import _l

feature = Feature(
    name="alerts",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    h5=(".h5",),
    hall=(HallTile("alerts", _l("动账提醒设置"), _l("资金变动，微信即时通知"), _l("铃")),),
    admin=(".admin",),
    dashboard=(".dashboard",),
    cli=(".cli:alerts_group",),
    blueprints=(".ingest_api:bp", ".metrics:bp"),
    csrf_exempt=(".ingest_api:bp",),  # signed by the core, it cannot carry a CSRF token
    setup=(".outbox:install",),  # the ledger's postings write their alerts in the same transaction
)
