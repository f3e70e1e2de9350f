"""Admin panel fixtures: two branches with a customer, a binding and a transfer each, a head-office admin and
one branch operator per branch, and a login helper that goes through the real login form."""

import re
from dataclasses import dataclass

import pytest
from werkzeug.security import generate_password_hash

from {{ cookiecutter.bank_slug }}.admin.models import ROLE_BRANCH_OPERATOR, ROLE_HEAD_OFFICE, StaffUser
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch, Customer
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.transfers.models import POSTED, TransferOrder
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

PASSWORD = "correct-horse-battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class BranchData:
    id: int
    code: str
    customer_id: int
    binding_id: int
    transfer_id: int


@dataclass
class Panel:
    app: object
    head: str  # usernames
    east: str
    west: str
    east_branch: BranchData
    west_branch: BranchData


def _branch(code: str, name: str, customer: tuple, card: str, openid: str) -> BranchData:
    branch = Branch(code=code, name=name, address="", phone="")
    db.session.add(branch)
    db.session.flush()
    person = Customer(name=customer[0], id_number=customer[1], phone=customer[2], branch_id=branch.id)
    binding = CardBinding(openid=openid, account_id=f"A{code}", card_mask=card, branch_code=code, status="active")
    db.session.add_all([person, binding])
    db.session.flush()
    order = TransferOrder(idempotency_key=f"key-{code}", openid=openid, binding_id=binding.id,
                          from_account_id=f"A{code}", from_card_masked=card, payee_number="6222020200112233445",
                          payee_name="赵六", payee_bank="", amount_fen=12345, status=POSTED,
                          submitted_at=utcnow(), finished_at=utcnow())
    db.session.add(order)
    db.session.flush()
    return BranchData(branch.id, code, person.id, binding.id, order.id)


# The fixture's users share one cheap hash: werkzeug's default (scrypt) costs ~0.15 s per hash and per
# login, which the panel's hundreds of tests would pay thousands of times. Users made the production way
# (set_password) are tested in test_cli (create-admin) and test_admin_audit (staff created in the panel).
FIXTURE_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _staff(username: str, role: str, branch_id: int | None, active: bool = True) -> None:
    user = StaffUser(username=username, display_name=f"员工{username}", role=role, branch_id=branch_id, active=active,
                     password_hash=FIXTURE_PASSWORD_HASH)
    db.session.add(user)


def add_staff(app, username: str, role: str = ROLE_HEAD_OFFICE) -> str:
    """One more staff member (e.g. a second head-office admin, the reviewer of 双人复核); their username."""
    with app.app_context():
        _staff(username, role, None)
        db.session.commit()
    return username


@pytest.fixture
def app(make_app):
    """The app with its admin panel (the suite's default app leaves /admin out: ADMIN_PANEL_ENABLED=0)."""
    return make_app(ADMIN_PANEL_ENABLED="1")


@pytest.fixture
def panel(app) -> Panel:
    with app.app_context():
        east = _branch("8801", "东街支行", ("王小明", "110101199001011234", "13800138000"), "6228 **** **** 1111",
                       "o-east-customer-0001")
        west = _branch("8802", "西街支行", ("李四海", "110101199202022345", "13900139000"), "6228 **** **** 2222",
                       "o-west-customer-0002")
        _staff("hq_admin", ROLE_HEAD_OFFICE, None)
        _staff("east_op", ROLE_BRANCH_OPERATOR, east.id)
        _staff("west_op", ROLE_BRANCH_OPERATOR, west.id)
        _staff("gone_op", ROLE_BRANCH_OPERATOR, east.id, active=False)
        db.session.commit()
    return Panel(app, "hq_admin", "east_op", "west_op", east, west)


def csrf_of(client, path: str = "/admin/login") -> str:
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD, **extra):
    """POST the login form as a browser would (CSRF token from the page); returns the response."""
    token = csrf_of(client)
    return client.post("/admin/login", data={"csrf_token": token, "username": username, "password": password,
                                             **extra})


def logged_in(app, username: str):
    client = app.test_client()
    response = login(client, username)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client
