"""Every H5 form (every POST under /h5), submitted by an identified customer with a valid CSRF token and
arbitrary fields: a page with a reason (4xx) or the next step, never a 5xx, and no transfer posted."""

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.transfers.models import POSTED, TransferOrder
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER

from ..binding_support import ZHANG, give_consent, seed_demo

OPENID = "oFuzzH5Forms0000000000000001"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIELDS = ["card_number", "holder_name", "id_number", "phone", "code", "binding_id", "payee_number", "payee_name",
          "payee_bank", "amount", "memo", "pin", "captcha", "idempotency_key", "enabled", "min_amount",
          "sms_fallback", "reason", "next", "x"]
VALUES = (st.text(max_size=40) | st.integers(min_value=-2**70, max_value=2**70).map(str)
          | st.sampled_from(["", "0", "-1", "1e9", "NaN", "１００", "0.001", "99999999999999999999", ZHANG.cards[0],
                             ZHANG.id_number, ZHANG.phone, ZHANG.name, "147258", "<script>", "' OR 1=1 --"]))


@pytest.fixture(scope="module")
def h5(tmp_path_factory):
    from flask_migrate import upgrade

    from {{ cookiecutter.bank_slug }} import create_app
    from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding

    from ..conftest import make_config

    database = tmp_path_factory.mktemp("h5fuzz") / "h5.db"
    app = create_app(make_config(f"sqlite:///{database}"))
    with app.app_context():
        upgrade()
    seed_demo(app)
    give_consent(app, OPENID)
    with app.app_context():  # a bound card, so the transfer and card pages have something to act on
        from {{ cookiecutter.bank_slug }}.core_banking.current import get_core

        account = get_core().find_account_by_card(ZHANG.cards[0])
        db.session.add(CardBinding(openid=OPENID, account_id=account.account_id, card_mask="6228 **** **** 0018",
                                   status="active"))
        db.session.commit()
    posts = sorted(rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/h5/") and "POST" in (rule.methods or ()) and "oauth" not in rule.rule)
    yield app, posts
    app.extensions["wechat_processor"].executor.shutdown(wait=True)


def customer(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": OPENID, "at": int(time.time())}
    token = CSRF.search(client.get("/h5/transfer").get_data(as_text=True))
    return client, token.group(1) if token else ""


def test_every_h5_form_is_covered(h5):
    _, posts = h5
    assert {"/h5/bind", "/h5/bind/verify", "/h5/transfer", "/h5/alerts"} <= set(posts)


@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzzed_h5_forms_never_answer_5xx(h5, data):
    app, posts = h5
    rule = data.draw(st.sampled_from(posts))
    path = re.sub(r"<[^>]+>", lambda _: data.draw(st.text(min_size=1, max_size=30).map(
        lambda text: text.replace("/", "_").replace("?", "_").replace("#", "_"))), rule)
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8))
    client, token = customer(app)
    response = client.post(path, data={"csrf_token": token, **fields})
    assert response.status_code < 500, (path, fields, response.get_data(as_text=True)[:300])
    with app.app_context():  # garbage never gets a transfer through the PIN step to the ledger
        posted = db.session.scalar(select(func.count()).select_from(TransferOrder).where(
            TransferOrder.status == POSTED))
    assert posted == 0
