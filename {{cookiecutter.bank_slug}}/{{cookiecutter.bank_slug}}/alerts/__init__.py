"""Free transaction alerts (动账提醒): the outbox, its ingestion (ledger, core API, end-of-day CSV),
the customer's rules, the dispatcher that delivers them as WeChat template messages (SMS as the
opted-in fallback) and the metrics that show how it is going."""


def init_app(app, csrf) -> None:
    """The core's push API (signed, so exempt from CSRF) and the metrics endpoint."""
    from . import ingest_api, metrics

    app.register_blueprint(ingest_api.bp)
    csrf.exempt(ingest_api.bp)
    app.register_blueprint(metrics.bp)
