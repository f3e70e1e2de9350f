"""`flask marketing fetch-reads`: store WeChat's article figures of the last 7 days (run it daily, e.g. from
the timer that runs the other daily jobs); `flask marketing refresh-articles`: ask WeChat how pending
publish jobs ended."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ...extensions import db
from . import articles
from .models import ARTICLE_PUBLISHING, Article


@click.group("marketing")
def marketing():
    """Marketing: article figures and publish jobs."""


@marketing.command("fetch-reads")
@with_appcontext
def fetch_reads():
    stored = articles.fetch_recent_reads()
    db.session.commit()
    click.echo(f"article figures stored: {stored}")


@marketing.command("refresh-articles")
@with_appcontext
def refresh_articles():
    pending = list(db.session.execute(select(Article).where(Article.status == ARTICLE_PUBLISHING)).scalars())
    for article in pending:
        articles.refresh(article)
    db.session.commit()
    click.echo(f"publish jobs checked: {len(pending)}")
