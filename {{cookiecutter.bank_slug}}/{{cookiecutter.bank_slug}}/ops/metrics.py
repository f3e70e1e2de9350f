"""GET /metrics in Prometheus' text format, and the HTTP request metrics every response records.

What it shows:
- wechat_bank_http_requests_total{endpoint,method,status} and wechat_bank_http_request_duration_seconds
  {endpoint,method}: every request by Flask endpoint name (never the raw path: no ids or openids in labels);
- wechat_bank_core_call_duration_seconds{operation}, wechat_bank_core_call_errors_total{operation,kind,code}
  (core_banking/current.py, any adapter);
- wechat_bank_wechat_api_errors_total{errcode} (wechat/client/base.py);
- wechat_bank_outbox_notices_finished_total{state,channel}, wechat_bank_outbox_notices_retried_total,
  wechat_bank_outbox_delivery_lag_seconds (the dispatcher; outbox/metrics.py);
- the alert gauges read from the table at each scrape: wechat_bank_alerts_open{state},
  wechat_bank_alerts_finished_24h{state}, wechat_bank_alert_oldest_open_age_seconds.

Processes: with PROMETHEUS_MULTIPROC_DIR set (an empty directory, the same for every gunicorn worker and
the dispatcher, emptied at each start: deploy/gunicorn.conf.py does both), the counters of all of them are
added up, so one scrape of any instance's /metrics sees the whole machine. Without it each process
answers with its own counters (scrape per process, or run one worker).

With METRICS_TOKEN set, the caller must send `Authorization: Bearer <token>`; keep /metrics off the public
site too (the nginx site answers it only from the internal network).
"""

import hmac
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from ..outbox.metrics import AlertCollector

bp = Blueprint("metrics", __name__)

REQUESTS = Counter("wechat_bank_http_requests_total", "HTTP requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("wechat_bank_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint.",
                    ["endpoint", "method"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
UNMATCHED = "unmatched"  # 404s of unknown paths: one label, however many paths scanners try
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _finished(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.endpoint or UNMATCHED
        method = request.method if request.method in METHODS else "OTHER"
        REQUESTS.labels(endpoint=endpoint, method=method, status=str(response.status_code)).inc()
        LATENCY.labels(endpoint=endpoint, method=method).observe(time.perf_counter() - started)
    return response


def process_registry() -> CollectorRegistry:
    """The counters and histograms: of every process sharing PROMETHEUS_MULTIPROC_DIR, or of this one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def render() -> bytes:
    alerts = CollectorRegistry(auto_describe=True)
    alerts.register(AlertCollector())
    return generate_latest(process_registry()) + generate_latest(alerts)


@bp.get("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response("metrics need Authorization: Bearer <METRICS_TOKEN>\n", 401, mimetype="text/plain")
    return Response(render(), mimetype=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _started)  # first: also time requests others answer
    app.after_request(_finished)
    app.register_blueprint(bp)
