"""A new binding records the account's branch from the core (the branch operators' scope), and migration
0008 fills it in for bindings made before it where the built-in ledger knows the account."""

import importlib.util

from sqlalchemy import text

from {{ cookiecutter.bank_slug }}.app import MIGRATIONS_DIR
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding import service as bindings
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.sms import OUTBOX

from ..binding_support import ZHANG, code_in, give_consent, seed_demo
from ..helpers import free_port

OPENID = "oAdminBranch0000000000000001"


def zhang_branch() -> str:
    return next(branch for name, *_rest, branch in demo_data.CUSTOMERS if name == ZHANG.name)


def bind_zhang(app):
    seed_demo(app)
    give_consent(app, OPENID)
    OUTBOX.clear()
    challenge = bindings.start_binding(OPENID, ZHANG.cards[0], ZHANG.name, ZHANG.id_number, ZHANG.phone)
    assert challenge.branch_code == zhang_branch()
    return bindings.confirm_binding(OPENID, challenge.id, code_in(OUTBOX.last(ZHANG.phone).text))


def test_a_new_binding_gets_the_accounts_branch(make_app):
    app = make_app(WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}")
    with app.app_context():
        binding = bind_zhang(app)
        assert binding.branch_code == zhang_branch()


def test_migration_0008_fills_the_branch_of_older_bindings(make_app):
    app = make_app(WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}")
    path = MIGRATIONS_DIR / "versions" / "0008_admin_panel.py"
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        binding = bind_zhang(app)
        binding.branch_code = None
        db.session.commit()
        db.session.execute(text(migration.BACKFILL_BRANCH_CODE))
        db.session.commit()
        db.session.refresh(binding)
        assert binding.branch_code == zhang_branch()
