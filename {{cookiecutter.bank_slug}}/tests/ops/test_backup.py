"""`flask backup create|restore`: a database in use is backed up online, restored into a fresh database, and
`ledger check` passes there with every balance as it was; retention keeps the newest N; `.env` is never in a
backup; a restore needs --yes. SQLite (the backup API) and PostgreSQL (pg_dump / pg_restore)."""

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from {{ cookiecutter.bank_slug }} import create_app
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount
from {{ cookiecutter.bank_slug }}.extensions import db

from ..conftest import DEFAULT_POSTGRES_URL, make_config, scratch_postgres_or_skip
from ..features.alerts.support import transfer
from ..ledger_helpers import seed

pytestmark = pytest.mark.heavy


def _app(url):
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
    return app


def _balances(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(LedgerAccount.account_id, LedgerAccount.balance_fen)).all()
        db.session.remove()
        db.engine.dispose()
    return dict(rows)


def _round_trip(source_url, target_url, tmp_path):
    source = _app(source_url)
    accounts = seed(source)
    transfer(source, accounts[0], accounts[2], 12_345)
    before = _balances(source)
    runner = source.test_cli_runner()
    made = runner.invoke(args=["backup", "create", "--dir", str(tmp_path / "backups"), "--keep", "2"])
    assert made.exit_code == 0, made.output
    assert ".env" in made.output  # the reminder that the secrets are not in it
    for _ in range(2):
        again = runner.invoke(args=["backup", "create", "--dir", str(tmp_path / "backups"), "--keep", "2"])
        assert again.exit_code == 0, again.output
    kept = sorted((tmp_path / "backups").iterdir())
    assert len(kept) == 2 and all(oct(path.stat().st_mode)[-3:] == "600" for path in kept)
    target = create_app(make_config(target_url))
    refused = target.test_cli_runner().invoke(args=["backup", "restore", str(kept[-1])])
    assert refused.exit_code != 0 and "--yes" in refused.output
    restored = target.test_cli_runner().invoke(args=["backup", "restore", str(kept[-1]), "--yes"])
    assert restored.exit_code == 0, restored.output
    checked = target.test_cli_runner().invoke(args=["ledger", "check"])
    assert checked.exit_code == 0, checked.output
    assert _balances(target) == before and before
    for app in (source, target):
        app.extensions["wechat_processor"].executor.shutdown(wait=True)


def test_sqlite_backup_restores_into_a_fresh_database(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)


@pytest.mark.postgres
def test_postgresql_backup_restores_into_a_fresh_database(tmp_path):
    server = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    live, fresh = scratch_postgres_or_skip(server), scratch_postgres_or_skip(server)
    try:
        _round_trip(live.create(), fresh.create(), tmp_path)
    finally:
        live.drop()
        fresh.drop()
