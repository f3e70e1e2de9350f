"""The migrations build exactly the schema the models describe (no drift)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from {{ cookiecutter.bank_slug }}.extensions import db

pytestmark = pytest.mark.smoke


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_0017_fills_username_keys_and_keeps_look_alikes_apart(tmp_path):
    """Staff rows from before 0017, two of them look-alikes: the first keeps the plain key, the second gets
    its id appended (so the unique constraint holds and head office can still find it); down and up again."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import create_engine, text

    from {{ cookiecutter.bank_slug }}.app import create_app

    from .conftest import make_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    app = create_app(make_config(url))
    with app.app_context():
        upgrade(revision="0012")
        engine = create_engine(url)
        with engine.begin() as conn:
            for username in ("Admin", "ｂｏｂ", "ad\u200bmin"):
                conn.execute(text("INSERT INTO admin_staff_user (username, display_name, password_hash, role, active,"
                                  " created_at) VALUES (:u, 'x', 'h', 'head_office', true, CURRENT_TIMESTAMP)"),
                             {"u": username})
        upgrade(revision="0017")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, username_key, session_version, failed_logins FROM admin_staff_user"
                                     " ORDER BY id")).all()
        assert [(r.username_key, r.session_version, r.failed_logins) for r in rows] == [
            ("admin", 0, 0), ("bob", 0, 0), (f"admin#{rows[2].id}", 0, 0)]
        downgrade(revision="0012")
        upgrade(revision="0017")
        engine.dispose()
        db.engine.dispose()
