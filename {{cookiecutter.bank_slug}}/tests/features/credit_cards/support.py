"""The demo bank for the credit-card tests: 张伟 (ALICE) with debit cards 1 and 2 and credit card 1 bound, 李娜 (BOB)
with debit card 3 and credit card 2; a customer's H5 session without the OAuth dance; reading the pages."""

import re
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount, card_key
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding
from {{ cookiecutter.bank_slug }}.features.credit_cards.models import CreditRepayment
from {{ cookiecutter.bank_slug }}.h5.oauth import SESSION_CUSTOMER
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.masking import mask_card

from ...helpers import free_port

ALICE = "oAliceCredit0000000000000001"  # 张伟
BOB = "oBobCredit000000000000000002"  # 李娜
PIN = demo_data.DEMO_PIN
WRONG_PIN = "000000" if PIN != "000000" else "111111"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@dataclass
class Bank:
    app: object
    cards: dict  # "d1", "d2", "d3", "c1", "c2" -> full card number
    accounts: dict  # same keys -> ledger account id
    bindings: dict  # same keys -> binding id


def open_bank(make_app, **config) -> Bank:
    app = make_app(BANK_SHORT_NAME="测试银行", SERVICE_HOTLINE="96000",
                   WECHAT_SANDBOX_API_URL=f"http://127.0.0.1:{free_port()}", **config)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    cards = {"d1": demo_data.card_number(1), "d2": demo_data.card_number(2), "d3": demo_data.card_number(3),
             "c1": demo_data.credit_card_number(1), "c2": demo_data.credit_card_number(2)}
    owners = {"d1": ALICE, "d2": ALICE, "c1": ALICE, "d3": BOB, "c2": BOB}
    with app.app_context():
        accounts = {name: db.session.scalar(select(LedgerAccount.account_id).where(
                        LedgerAccount.card_number_hash == card_key(card)))
                    for name, card in cards.items()}
        bindings = {}
        for name, openid in owners.items():
            binding = CardBinding(openid=openid, account_id=accounts[name], card_mask=mask_card(cards[name]),
                                  status="active", alerts_suspended=False, branch_code="0001")
            db.session.add(binding)
            db.session.flush()
            bindings[name] = binding.id
        db.session.commit()
    return Bank(app, cards, accounts, bindings)


def customer(bank: Bank, openid: str = ALICE):
    client = bank.app.test_client()
    with client.session_transaction() as session:
        session[SESSION_CUSTOMER] = {"openid": openid, "at": int(time.time())}
    return client


def balances(bank: Bank) -> dict:
    with bank.app.app_context():
        return dict(db.session.execute(select(LedgerAccount.account_id, LedgerAccount.balance_fen)).all())


def entries(bank: Bank) -> int:
    with bank.app.app_context():
        return db.session.scalar(select(func.count(JournalEntry.id)))


def repayments(bank: Bank) -> list[CreditRepayment]:
    with bank.app.app_context():
        found = list(db.session.execute(select(CreditRepayment).order_by(CreditRepayment.id)).scalars())
        db.session.expunge_all()
        return found


def open_form(client, bank: Bank, card: str = "c1") -> tuple[str, str]:
    page = client.get(f"/h5/credit/{bank.bindings[card]}/repay")
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    return CSRF.search(text).group(1), KEY.search(text).group(1)


def submit(client, bank: Bank, card: str = "c1", csrf: str | None = None, key: str | None = None, **fields):
    if csrf is None or key is None:
        csrf, key = open_form(client, bank, card)
    form = {"csrf_token": csrf, "idempotency_key": key, "from_card": str(bank.bindings["d1"]), "mode": "full",
            "amount": ""}
    form.update(fields)
    return client.post(f"/h5/credit/{bank.bindings[card]}/repay", data=form), csrf, key


def confirm(client, key: str, csrf: str, pin: str = PIN, **extra):
    return client.post(f"/h5/credit/repay/confirm/{key}", data={"csrf_token": csrf, "pin": pin, **extra})


def error_of(response) -> tuple[str, str]:
    """(the field named, the reason) of a refused form."""
    found = re.search(r'data-testid="error" data-field="([^"]*)">([^<]*)<', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:2000]
    return found.group(1), found.group(2)
