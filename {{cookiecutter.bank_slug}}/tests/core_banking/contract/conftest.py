"""The contract suite's fixtures: `core`, a seeded CoreBanking (one parameter per adapter), and
`demo`, what the seed put in it (cards, holders, balances, the demo PIN).

Every adapter runs the same tests in test_core_contract.py:
* "ledger": the built-in ledger on the test database after `flask seed-demo`;
* "http": the HTTP adapter talking to a loopback server that wraps that same ledger.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.core_banking.http.client import HttpCoreBanking
from {{ cookiecutter.bank_slug }}.core_banking.http.server import create_core_server
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import LedgerAccount, card_key
from {{ cookiecutter.bank_slug }}.core_banking.models import Customer
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.shared import demo_data

from .loopback import serving

CORE_ADAPTERS = ["ledger", "http"]
CORE_API_SECRET = "contract-suite-secret"


@dataclass(frozen=True)
class DemoHolder:
    account_id: str
    card_number: str
    name: str
    id_number: str
    phone: str
    branch_code: str
    opening_fen: int


@dataclass(frozen=True)
class DemoCredit:
    account_id: str
    card_number: str
    name: str
    credit_limit_fen: int


@dataclass(frozen=True)
class DemoBook:
    accounts: list[DemoHolder]  # in demo_data.ACCOUNTS order
    credit_cards: tuple[DemoCredit, ...] = ()  # in demo_data.CREDIT_CARDS order
    pin: str = demo_data.DEMO_PIN

    @property
    def payer(self) -> DemoHolder:  # 张伟, 50,000.00 yuan
        return self.accounts[0]

    @property
    def payer_second(self) -> DemoHolder:  # 张伟's other card
        return self.accounts[1]

    @property
    def payee(self) -> DemoHolder:  # 李娜
        return self.accounts[2]


@pytest.fixture
def seeded_app(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def demo(seeded_app) -> DemoBook:
    openings = [opening for _name, opening in demo_data.ACCOUNTS]
    holders = []
    with seeded_app.app_context():
        for serial, opening_fen in enumerate(openings, start=1):
            account = db.session.scalar(
                select(LedgerAccount).where(LedgerAccount.card_number_hash == card_key(demo_data.card_number(serial))))
            customer: Customer = account.customer
            holders.append(DemoHolder(account.account_id, account.card_number, customer.name, customer.id_number,
                                      customer.phone, customer.branch.code, opening_fen))
        credit = []
        for serial, (_name, limit_fen) in enumerate(demo_data.CREDIT_CARDS, start=1):
            account = db.session.scalar(select(LedgerAccount).where(
                LedgerAccount.card_number_hash == card_key(demo_data.credit_card_number(serial))))
            credit.append(DemoCredit(account.account_id, account.card_number, account.customer.name, limit_fen))
    return DemoBook(holders, tuple(credit))


@pytest.fixture
def ledger_core(seeded_app) -> LedgerCore:
    with seeded_app.app_context():
        return LedgerCore(db.engine)


@pytest.fixture(params=CORE_ADAPTERS)
def core(request, ledger_core):
    """A CoreBanking holding the demo data; every adapter must behave the same."""
    if request.param == "ledger":
        yield ledger_core
        return
    if request.param == "http":  # the HTTP adapter -> loopback reference server -> the same ledger
        with serving(create_core_server(ledger_core, CORE_API_SECRET)) as base_url:
            adapter = HttpCoreBanking(base_url, CORE_API_SECRET)
            yield adapter
            adapter.close()
        return
    raise ValueError(f"no such adapter {request.param!r}")
