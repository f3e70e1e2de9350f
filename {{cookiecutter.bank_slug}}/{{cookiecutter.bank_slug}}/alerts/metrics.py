"""GET /metrics: the alert pipeline in Prometheus' text format (counts by state, the age of the
oldest open alert). With METRICS_TOKEN set, the caller must send `Authorization: Bearer <token>`."""

import hmac

from flask import Blueprint, Response, current_app, request
from sqlalchemy import func, select

from ..extensions import db
from ..timeutil import utcnow
from .models import OPEN_STATES, STATES, Alert

bp = Blueprint("metrics", __name__)


def alert_counts() -> dict[str, int]:
    rows = db.session.execute(select(Alert.state, func.count()).group_by(Alert.state))
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: count for state, count in rows})
    return counts


def oldest_open_age_seconds() -> float:
    oldest = db.session.scalar(select(func.min(Alert.created_at)).where(Alert.state.in_(OPEN_STATES)))
    return max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0


def _labels(**labels: str) -> str:
    """Prometheus label set, e.g. {state="pending"} (built here so no brace pair appears in the source)."""
    return "{" + ",".join(f'{name}="{value}"' for name, value in labels.items()) + "}"


@bp.get("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given, token):
            return Response("metrics need Authorization: Bearer <METRICS_TOKEN>\n", 401, mimetype="text/plain")
    lines = [
        "# HELP wechat_bank_alerts Transaction alerts by state.",
        "# TYPE wechat_bank_alerts gauge",
        *(f"wechat_bank_alerts{_labels(state=state)} {count}" for state, count in alert_counts().items()),
        "# HELP wechat_bank_alert_oldest_open_age_seconds Age of the oldest alert not yet in a final state.",
        "# TYPE wechat_bank_alert_oldest_open_age_seconds gauge",
        f"wechat_bank_alert_oldest_open_age_seconds {oldest_open_age_seconds():.3f}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
