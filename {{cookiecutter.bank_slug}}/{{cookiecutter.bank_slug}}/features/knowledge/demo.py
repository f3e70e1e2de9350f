"""`flask seed-demo`: the demo knowledge base (demo_entries.py), in the customers' language, once."""

import click
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from ...extensions import db
from ...settings import of as settings_of
from .demo_entries import ENTRIES
from .models import KnowledgeEntry


def seed() -> None:
    if db.session.execute(select(KnowledgeEntry.id).limit(1)).first() is not None:
        click.echo("知识库已有条目，未添加演示问答 The knowledge base has entries: no demo entries added.")
        return
    with force_locale(settings_of(current_app).brand.default_locale):
        for question, synonyms, answer in ENTRIES:
            db.session.add(KnowledgeEntry(question=str(question), synonyms=str(synonyms), answer=str(answer),
                                          updated_by="(seed-demo)"))
    db.session.commit()
    click.echo(f"演示知识库已就绪：{len(ENTRIES)} 条问答 Demo knowledge base ready: {len(ENTRIES)} entries.")
