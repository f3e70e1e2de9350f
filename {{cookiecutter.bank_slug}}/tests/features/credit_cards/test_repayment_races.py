"""Repayments under concurrency on PostgreSQL: the same key sent from many threads posts once; many keys each
trying to repay everything owed leave the card at exactly zero, never below; random repayments from two debit
cards restore exactly what they posted; and two PIN confirmations of one repayment record post it once."""

import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import (
    ensure_internal_accounts,
    open_customer_account,
    post_opening_deposit,
)
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.credit import open_credit_card, post_card_purchase
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch, Customer
from {{ cookiecutter.bank_slug }}.core_banking.port import (
    IdempotencyConflict,
    InsufficientFunds,
    RepaymentExceedsOwed,
    RepaymentRequest,
)
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.credit_cards import service
from {{ cookiecutter.bank_slug }}.features.credit_cards.models import CreditRepayment
from {{ cookiecutter.bank_slug }}.settings import of as sections_of
from {{ cookiecutter.bank_slug }}.shared import demo_data
from {{ cookiecutter.bank_slug }}.shared.cards import with_check_digit

from ...ledger_helpers import check
from .support import ALICE, PIN, open_bank

pytestmark = [pytest.mark.postgres]

THREADS = 16
LIMIT_FEN = 1_000_000
OWED_FEN = 654_321
OPENING_FEN = 2_000_000


def open_cards(engine, run: str) -> tuple[str, str, str]:
    """(debit, second debit, credit) account ids of one fresh customer; the credit card owes OWED_FEN."""
    with Session(engine) as session:
        ensure_internal_accounts(session)
        branch = Branch(code=run[:16], name="还款并发测试网点")
        person = Customer(name=f"客户{run[:4]}", id_number=run[:18], phone="13800000000", branch=branch)
        session.add(person)
        base = int(run[:8], 16) % 10**9
        debit = open_customer_account(session, person, with_check_digit(f"8{base:09d}00000001"), pin_hash="")
        second = open_customer_account(session, person, with_check_digit(f"8{base:09d}00000002"), pin_hash="")
        credit = open_credit_card(session, person, with_check_digit(f"7{base:09d}00001"), None,
                                  credit_limit_fen=LIMIT_FEN, statement_day=5, due_day=25)
        ids = debit.account_id, second.account_id, credit.account_id
        session.commit()
    post_opening_deposit(engine, ids[0], OPENING_FEN)
    post_opening_deposit(engine, ids[1], OPENING_FEN)
    post_card_purchase(engine, ids[2], OWED_FEN, "并发商户", f"{run}-purchase")
    return ids


def balance(engine, account_id: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.account_id == account_id))


def run_all(work, count: int) -> list:
    start = threading.Barrier(count)

    def one(n):
        start.wait()
        try:
            return work(n)
        except Exception as exc:  # noqa: BLE001 - returned, asserted by the caller
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


@pytest.fixture
def cards(postgres_url):
    engine = create_engine(postgres_url, pool_size=THREADS, max_overflow=0)
    run = uuid.uuid4().hex
    yield engine, LedgerCore(engine), run, open_cards(engine, run)
    engine.dispose()


def test_one_key_from_many_threads_debits_once(cards):
    engine, core, run, (debit, _second, credit) = cards
    request = RepaymentRequest(f"{run}-same", debit, credit, 100_000)
    results = run_all(lambda n: core.repay_credit_card(request), THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(not r.replayed for r in results) == 1
    assert len({r.repayment_id for r in results}) == 1
    assert balance(engine, debit) == OPENING_FEN - 100_000
    assert balance(engine, credit) == -(OWED_FEN - 100_000)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(JournalEntry)
                                 .where(JournalEntry.idempotency_key == request.idempotency_key)) == 1


def test_many_keys_repaying_everything_leave_exactly_zero_never_below(cards):
    engine, core, run, (debit, second, credit) = cards
    payers = (debit, second)
    results = run_all(lambda n: core.repay_credit_card(
        RepaymentRequest(f"{run}-all-{n}", payers[n % 2], credit, OWED_FEN)), THREADS)
    posted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(posted) == 1 and all(isinstance(r, RepaymentExceedsOwed) for r in refused), results
    assert posted[0].owed_after_fen == 0 and posted[0].available_credit_after_fen == LIMIT_FEN
    assert balance(engine, credit) == 0
    assert balance(engine, debit) + balance(engine, second) == 2 * OPENING_FEN - OWED_FEN
    assert check(engine).ok


def test_random_repayments_restore_exactly_what_they_posted(cards):
    engine, core, run, (debit, second, credit) = cards
    rng = random.Random(20261204)
    plans = [(payers, rng.randint(1, 120_000)) for payers in [(debit, second)[n % 2] for n in range(THREADS * 4)]]

    def repay(n):
        outcomes = []
        for payer, amount in plans[n * 4:(n + 1) * 4]:
            key = f"{run}-r-{n}-{amount}-{payer}"
            try:
                outcomes.append(core.repay_credit_card(RepaymentRequest(key, payer, credit, amount)))
                if n % 3 == 0:  # resent: replays, posts nothing new
                    assert core.repay_credit_card(RepaymentRequest(key, payer, credit, amount)).replayed
                    try:
                        core.repay_credit_card(RepaymentRequest(key, payer, credit, amount + 1))
                    except IdempotencyConflict:
                        pass
            except (RepaymentExceedsOwed, InsufficientFunds):
                pass
        return outcomes

    results = run_all(repay, THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    repaid = sum(result.amount_fen for outcomes in results for result in outcomes)
    owed = -balance(engine, credit)
    assert 0 <= owed == OWED_FEN - repaid
    assert balance(engine, debit) + balance(engine, second) == 2 * OPENING_FEN - repaid
    assert core.credit_card(credit).available_credit_fen == LIMIT_FEN - owed
    assert check(engine).ok


def test_two_confirmations_of_one_repayment_post_it_once(make_app, postgres_url):
    bank = open_bank(make_app, DATABASE_URL=postgres_url)
    app = bank.app
    with app.app_context():
        order = service.place_repayment(ALICE, service.RepaymentInput(
            service.new_idempotency_key(), str(bank.bindings["c1"]), str(bank.bindings["d1"]), "amount", "12.34"))
        key = order.idempotency_key

    def confirm(_n):
        with app.app_context():
            mine = service.order_by_key(key)
            return service.confirm_repayment(ALICE, mine, PIN, sections_of().transfers).status

    statuses = run_all(confirm, 4)
    assert not [s for s in statuses if isinstance(s, Exception)], statuses
    with app.app_context():
        (stored,) = db.session.scalars(select(CreditRepayment)).all()
        assert stored.status == "posted"
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)
                                 .where(JournalEntry.idempotency_key == key)) == 1
        assert db.session.scalar(select(LedgerAccount.balance_fen)
                                 .where(LedgerAccount.account_id == bank.accounts["c1"])) \
            == -(sum(amount for _days, amount, _m in demo_data.CREDIT_CARD_PURCHASES[1]) - 1_234)
