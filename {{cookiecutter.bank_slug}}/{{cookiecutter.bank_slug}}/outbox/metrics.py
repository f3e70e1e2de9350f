"""The outbox's figures for GET /metrics (ops/metrics.py renders them): the dispatcher's counters and the
alert gauges read from the table at each scrape.

Every figure is read through an index, so a scrape costs the same with a hundred or with ten million
alerts in the table (counting the whole table by state takes 0.3-0.5 s of both cores at 3 million rows, a
scrape 30-70 ms: bench/metrics.py):
- wechat_bank_alerts_open{state}: pending and sending now (index on state);
- wechat_bank_alerts_finished_24h{state}: delivered, sms, undeliverable, expired in the last 24 hours
  (index on finished_at);
- wechat_bank_alert_oldest_open_age_seconds: growing means no dispatcher runs or it cannot keep up.
"""

from collections import Counter as CountOf
from collections.abc import Iterable
from datetime import datetime, timedelta

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from ..extensions import db
from ..shared.timeutil import utcnow
from .models import FINAL_STATES, OPEN_STATES, STATES, Notice

FINISHED_WINDOW = timedelta(hours=24)

# Counted by the dispatcher process (`flask alerts run`): they reach /metrics when it shares the web
# processes' PROMETHEUS_MULTIPROC_DIR (docs/deployment.md, 就绪与监控).
NOTICES_FINISHED = Counter("wechat_bank_outbox_notices_finished_total",
                           "Notices the dispatcher brought to a final state, by state and channel.",
                           ["state", "channel"])
NOTICES_RETRIED = Counter("wechat_bank_outbox_notices_retried_total",
                          "Notice deliveries the dispatcher will try again.")
DELIVERY_LAG = Histogram("wechat_bank_outbox_delivery_lag_seconds",
                         "From the business event (notice created) to its final state.",
                         buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86400))


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


def record_final(state: str, channel: str | None, created_at, now) -> None:
    """A notice reached a final state (the dispatcher): throughput, and the lag from the business event."""
    record_finals([(state, channel, created_at, now)])


def record_finals(finals: Iterable[tuple[str, str | None, datetime | None, datetime | None]]) -> None:
    """Notices that reached a final state, (state, channel, created_at, finished_at) each: the dispatcher
    counts a recorded batch at once (one increment per state and channel)."""
    by_label: CountOf = CountOf()
    for state, channel, created_at, finished_at in finals:
        by_label[state, channel or "none"] += 1
        if created_at is not None and finished_at is not None:
            DELIVERY_LAG.observe(max(0.0, (finished_at - created_at).total_seconds()))
    for (state, channel), count in by_label.items():
        NOTICES_FINISHED.labels(state=state, channel=channel).inc(count)


def record_retry() -> None:
    NOTICES_RETRIED.inc()


class AlertCollector:
    """The three gauges read from the table at each scrape (names unchanged since the first /metrics)."""

    def collect(self):
        open_now = GaugeMetricFamily("wechat_bank_alerts_open", "Transaction alerts not yet in a final state.",
                                     labels=["state"])
        for state, count in open_counts().items():
            open_now.add_metric([state], count)
        finished = GaugeMetricFamily("wechat_bank_alerts_finished_24h",
                                     "Transaction alerts that reached a final state in the last 24 h.",
                                     labels=["state"])
        for state, count in finished_counts(utcnow() - FINISHED_WINDOW).items():
            finished.add_metric([state], count)
        oldest = GaugeMetricFamily("wechat_bank_alert_oldest_open_age_seconds",
                                   "Age of the oldest alert not yet in a final state.", value=oldest_open_age_seconds())
        return [open_now, finished, oldest]
