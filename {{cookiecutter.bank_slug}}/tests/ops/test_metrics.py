"""/metrics: the request, core, WeChat and dispatcher metrics next to the alert gauges (their names kept),
protected by METRICS_TOKEN; the Grafana dashboard and the Prometheus rules in deploy/monitoring use only
metrics that /metrics has."""

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.bank_slug }}.core_banking.current import get_core
from {{ cookiecutter.bank_slug }}.core_banking.port import AccountNotFound
from {{ cookiecutter.bank_slug }}.wechat.client.aio import json_answer

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
METRIC = re.compile(r"\bwechat_bank_[a-z0-9_]+")


def _scrape(client, token=None) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _value(text, name, **labels):
    return _samples(text).get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_endpoint_and_status_with_latency(make_app):
    client = make_app().test_client()
    before = _scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page/13800138000")
    after = _scrape(client)
    assert _value(after, "wechat_bank_http_requests_total", endpoint="health.healthz", method="GET", status="200") \
        - _value(before, "wechat_bank_http_requests_total", endpoint="health.healthz", method="GET", status="200") == 2
    assert _value(after, "wechat_bank_http_requests_total", endpoint="unmatched", method="GET", status="404") >= 1
    assert _value(after, "wechat_bank_http_request_duration_seconds_count", endpoint="health.healthz",
                  method="GET") >= 2
    assert "13800138000" not in after  # paths never become labels


def test_core_calls_are_timed_and_their_errors_counted(make_app):
    app = make_app()
    client = app.test_client()
    before = _scrape(client)
    with app.app_context():
        get_core().ping()
        with pytest.raises(AccountNotFound):
            get_core().balance("no-such-account")
    after = _scrape(client)
    assert _value(after, "wechat_bank_core_call_duration_seconds_count", operation="ping") \
        - _value(before, "wechat_bank_core_call_duration_seconds_count", operation="ping") == 1
    labels = {"operation": "balance", "kind": "refused", "code": "account_not_found"}
    assert _value(after, "wechat_bank_core_call_errors_total", **labels) \
        - _value(before, "wechat_bank_core_call_errors_total", **labels) == 1


def test_wechat_errcodes_are_counted(make_app):
    client = make_app().test_client()
    before = _value(_scrape(client), "wechat_bank_wechat_api_errors_total", errcode="43004")
    json_answer(b'{"errcode": 43004, "errmsg": "require subscribe"}')
    json_answer(b'{"errcode": 0, "errmsg": "ok"}')
    assert _value(_scrape(client), "wechat_bank_wechat_api_errors_total", errcode="43004") - before == 1


def test_metrics_need_the_token_when_one_is_set(make_app):
    client = make_app(METRICS_TOKEN="metrics-secret-2").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "wechat_bank_alerts_open" in _scrape(client, "metrics-secret-2")


def _metric_names(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {family.name, *(family.name + suffix for suffix in ("_total", "_bucket", "_sum", "_count"))}
        names |= {sample.name for sample in family.samples}
    return names


def _exprs():
    rules = yaml.safe_load((MONITORING / "prometheus-alerts.yml").read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield f"rule {rule['alert']}", rule["expr"]
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield f"panel {panel['title']}", target["expr"]


def test_dashboard_and_rules_use_only_metrics_that_exist(make_app):
    exported = _metric_names(_scrape(make_app().test_client()))
    exprs = list(_exprs())
    assert len(exprs) >= 15
    for where, expr in exprs:
        used = set(METRIC.findall(expr))
        assert used, f"{where} names no metric of the service"
        assert used <= exported, f"{where}: {sorted(used - exported)} not in /metrics"
    every = {name for _, expr in exprs for name in METRIC.findall(expr)}
    for family in ("http_requests_total", "core_call_duration_seconds_bucket", "wechat_api_errors_total",
                   "outbox_delivery_lag_seconds_bucket", "alert_oldest_open_age_seconds"):
        assert f"wechat_bank_{family}" in every, family
