"""The requests tests reuse the admin panel's fixtures: two branches (8801 东街, 8802 西街) with a bound customer
each, head office and one operator per branch; plus a loan product, weekly slots and an H5 customer session."""

import re
import time
from datetime import timedelta

import pytest

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.requests.models import AppointmentSlot, RequestProduct
from {{ cookiecutter.bank_slug }}.features.requests.service import bank_today
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER

from ...admin.conftest import app, logged_in, panel  # noqa: F401  (fixtures)

EAST_OPENID = "o-east-customer-0001"
WEST_OPENID = "o-west-customer-0002"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def customer(flask_app, openid: str):
    """A test client with an H5 session for this openid (as after the OAuth2 dance)."""
    client = flask_app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}
    return client


def csrf(client, path: str) -> str:
    page = client.get(path, follow_redirects=True)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, (path, page.status_code, page.get_data(as_text=True)[:300])
    return match.group(1)


@pytest.fixture
def setup(panel):  # noqa: F811
    """The panel plus a loan product (10,000-500,000 yuan, up to 60 months) and two slots of 8801 tomorrow+2
    (weekday of that day): 09:00 (capacity 2) and 10:00 (capacity 1). Returns (panel, product id, day, slot ids)."""
    with panel.app.app_context():
        product = RequestProduct(name="个人消费贷款", min_fen=1_000_000, max_fen=50_000_000, max_term_months=60)
        day = bank_today() + timedelta(days=2)
        nine = AppointmentSlot(branch_code="8801", weekday=day.weekday(), starts="09:00", ends="10:00", capacity=2)
        ten = AppointmentSlot(branch_code="8801", weekday=day.weekday(), starts="10:00", ends="11:00", capacity=1)
        db.session.add_all([product, nine, ten])
        db.session.get(CardBinding, panel.east_branch.binding_id).sms_phone = "13800138000"
        db.session.commit()
        return panel, product.id, day, (nine.id, ten.id)
