"""GET /metrics: the alert pipeline in Prometheus' text format. With METRICS_TOKEN set, the caller must
send `Authorization: Bearer <token>`.

Every figure is read through an index, so a scrape costs the same with a hundred or with ten million
alerts in the table (counting the whole table by state takes 0.3-0.5 s of both cores at 3 million rows, a
scrape 30-70 ms: bench/metrics.py):
- wechat_bank_alerts_open{state}: pending and sending now (index on state);
- wechat_bank_alerts_finished_24h{state}: delivered, sms, undeliverable, expired in the last 24 hours
  (index on finished_at);
- wechat_bank_alert_oldest_open_age_seconds: growing means no dispatcher runs or it cannot keep up.
"""

import hmac
from datetime import timedelta

from flask import Blueprint, Response, current_app, request
from sqlalchemy import func, select

from ..extensions import db
from ..shared.timeutil import utcnow
from .models import FINAL_STATES, OPEN_STATES, STATES, Notice

bp = Blueprint("metrics", __name__)

FINISHED_WINDOW = timedelta(hours=24)


def _counts_by_state(states: tuple[str, ...], *where) -> dict[str, int]:
    rows = db.session.execute(select(Notice.state, func.count()).where(*where).group_by(Notice.state))
    return {**dict.fromkeys(states, 0), **dict(rows.tuples().all())}


def open_counts() -> dict[str, int]:
    """Notices not yet in a final state, by state."""
    return _counts_by_state(OPEN_STATES, Notice.state.in_(OPEN_STATES))


def finished_counts(since) -> dict[str, int]:
    """Notices that reached a final state since `since` (naive UTC), by state."""
    return _counts_by_state(FINAL_STATES, Notice.finished_at >= since, Notice.state.in_(FINAL_STATES))


def alert_counts() -> dict[str, int]:
    """Every alert by state: the whole table (for `alerts status --all`; too slow to scrape on a big table)."""
    return _counts_by_state(STATES)


def oldest_open_age_seconds() -> float:
    oldest = db.session.scalar(select(func.min(Notice.created_at)).where(Notice.state.in_(OPEN_STATES)))
    return max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0


def _labels(**labels: str) -> str:
    """Prometheus label set, e.g. {state="pending"} (built here so no brace pair appears in the source)."""
    return "{" + ",".join(f'{name}="{value}"' for name, value in labels.items()) + "}"


def _gauge(name: str, help_text: str, values: dict[str, int]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge",
            *(f"{name}{_labels(state=state)} {count}" for state, count in values.items())]


@bp.get("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given, token):
            return Response("metrics need Authorization: Bearer <METRICS_TOKEN>\n", 401, mimetype="text/plain")
    lines = [
        *_gauge("wechat_bank_alerts_open", "Transaction alerts not yet in a final state.", open_counts()),
        *_gauge("wechat_bank_alerts_finished_24h", "Transaction alerts that reached a final state in the last 24 h.",
                finished_counts(utcnow() - FINISHED_WINDOW)),
        "# HELP wechat_bank_alert_oldest_open_age_seconds Age of the oldest alert not yet in a final state.",
        "# TYPE wechat_bank_alert_oldest_open_age_seconds gauge",
        f"wechat_bank_alert_oldest_open_age_seconds {oldest_open_age_seconds():.3f}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
