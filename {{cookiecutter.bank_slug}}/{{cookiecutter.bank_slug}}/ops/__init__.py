"""Operations: GET /readyz (the readiness of every dependency) and GET /metrics (Prometheus), plus the
request metrics every response records. Not a feature: always installed by the app factory. The
dependencies' own metrics live with them (core_banking/http/client.py, wechat/client/sync.py,
outbox/dispatcher.py); this package only reads and renders them."""

from flask import Flask


def install(app: Flask) -> None:
    from . import metrics, readiness

    readiness.install(app)
    metrics.install(app)
