"""The outbox: every message the bank sends a customer (transaction alerts, transfer outcomes, later service
notices), written in the same database transaction as the business change and delivered by one dispatcher.

Features register a topic (topics.py) at install time and write rows with `notice_row`/`add_notice`
(writer.py); the dispatcher picks one channel per notice by rule (channels.py). This package imports no
feature: features -> outbox only.
"""

from flask import Flask


def install(app: Flask) -> None:
    """The `flask alerts run|drain|status|prune` commands (not a feature: always there). GET /metrics, which
    renders outbox/metrics.py's figures, is the ops package's."""
    from .cli import alerts_group

    app.cli.add_command(alerts_group)


def register_events(router) -> None:
    """The WeChat events the outbox itself handles: TEMPLATESENDJOBFINISH (delivery_report.py)."""
    from . import delivery_report

    delivery_report.register(router)
