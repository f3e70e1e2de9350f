"""`flask alerts run | drain | status | prune`: the outbox's dispatcher and housekeeping, for every topic (the
group keeps the name of its first topic; the alerts feature adds `alerts import FILE` to it)."""

import signal
import threading
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..extensions import db
from ..settings import retention_outlasts_alerts
from ..shared.timeutil import utcnow
from .dispatcher import Dispatcher
from .metrics import FINISHED_WINDOW, alert_counts, finished_counts, oldest_open_age_seconds, open_counts
from .retention import prune

alerts_group = AppGroup("alerts", help="通知发送 Notices to customers (动账提醒, 转账结果 ...): "
                                       "dispatcher, CSV import, status, prune.")


def _check_template() -> None:
    if not current_app.config["ALERT_TEMPLATE_ID"]:
        raise click.ClickException("ALERT_TEMPLATE_ID is not set: add the account-change template from WeChat's "
                                   "template library and put its id in .env (docs/alerts.md) / 未配置动账提醒模板")


def _dispatcher(concurrency: int | None) -> Dispatcher:
    _check_template()
    return Dispatcher(current_app._get_current_object(), concurrency=concurrency)


def _report(counts) -> None:
    shown = ", ".join(f"{key}={value}" for key, value in sorted(counts.items())) or "nothing due"
    click.echo(f"动账提醒 alerts: {shown}")


@alerts_group.command("run")
@click.option("--concurrency", type=click.IntRange(1, 1024), default=None,
              help="Template messages in flight at once (ALERT_CONCURRENT_SENDS).")
@with_appcontext
def run_command(concurrency: int | None) -> None:
    """Deliver alerts until stopped (SIGTERM or Ctrl-C finish the sends in flight first)."""
    dispatcher = _dispatcher(concurrency)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"动账提醒发送中 alerts dispatcher {dispatcher.owner} running with {dispatcher.concurrency} "
               f"concurrent sends on {db.engine.dialect.name}")
    try:
        counts = dispatcher.run(stop)
    finally:
        dispatcher.close()
    _report(counts)


@alerts_group.command("drain")
@click.option("--concurrency", type=click.IntRange(1, 1024), default=None,
              help="Template messages in flight at once (ALERT_CONCURRENT_SENDS).")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Also wait for retries that come due within this many seconds.")
@with_appcontext
def drain_command(concurrency: int | None, wait_seconds: float) -> None:
    """Deliver every alert that is due now, then exit."""
    dispatcher = _dispatcher(concurrency)
    try:
        counts = dispatcher.drain(wait_seconds)
    finally:
        dispatcher.close()
    _report(counts)


@alerts_group.command("prune")
@click.option("--older-than-days", "days", type=click.IntRange(1), default=None,
              help="Delete final alerts that ended more than this many days ago (default ALERT_RETENTION_DAYS).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=10_000, show_default=True,
              help="Alerts deleted per transaction.")
@with_appcontext
def prune_command(days: int | None, batch_size: int) -> None:
    """Delete alerts that ended long ago (open ones are never deleted); run it daily from cron or a timer."""
    config = current_app.config
    days = days or config["ALERT_RETENTION_DAYS"]
    if not retention_outlasts_alerts(days, config["ALERT_MAX_AGE_MINUTES"]):
        raise click.BadParameter("must be longer than ALERT_MAX_AGE_MINUTES / 须长于提醒有效期",
                                 param_hint="--older-than-days")
    before = utcnow() - timedelta(days=days)

    def progress(total: int) -> None:
        click.echo(f"  ... {total} deleted", err=True)

    deleted = prune(db.engine, before, batch_size=batch_size, progress=progress)
    click.echo(f"清理完成 pruned {deleted} alerts that ended before {before:%Y-%m-%d %H:%M} UTC ({days} days)")


@alerts_group.command("status")
@click.option("--all", "whole_table", is_flag=True,
              help="Count every alert in the table by state (slow on a big table) instead of the last 24 h.")
@with_appcontext
def status_command(whole_table: bool) -> None:
    """Open alerts by state, those that ended in the last 24 h, and the age of the oldest open one."""
    if whole_table:
        counts, heading = alert_counts(), "全部提醒 all alerts"
    else:
        counts = {**open_counts(), **finished_counts(utcnow() - FINISHED_WINDOW)}
        heading = "未完成 / 近 24 小时结束 open now, and ended in the last 24 h"
    click.echo(heading)
    for state, count in counts.items():
        click.echo(f"  {state:14} {count}")
    click.echo(f"最早未完成 oldest open {oldest_open_age_seconds():.0f} s")
