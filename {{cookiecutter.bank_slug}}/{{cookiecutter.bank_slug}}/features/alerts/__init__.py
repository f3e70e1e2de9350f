"""Free transaction alerts (动账提醒): their ingestion (ledger postings, the core's push API, end-of-day CSV),
the customer's rules (H5), the outbox topic `transaction_alert` (the outbox's dispatcher delivers them as WeChat
template messages, SMS as the opted-in fallback), and the admin's alert list."""

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
    cli=("alerts .cli:import_command",),  # the outbox owns the `alerts` group (run, drain, status, prune)
    blueprints=(".ingest_api:bp",),
    csrf_exempt=(".ingest_api:bp",),  # signed by the core, it cannot carry a CSRF token
    setup=(".topic:install",),  # the outbox topic; the ledger's postings write their alerts in the same transaction
)
