"""The ledger under concurrency on PostgreSQL: 32 threads, 5,000+ random transfers among 20
accounts (both directions of the same pairs, some to another bank), resent and altered
idempotency keys. No database error escapes, no balance goes negative, every key is applied at
most once, and the books balance exactly."""

import random
import threading
import uuid
from collections import Counter, defaultdict
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import (
    SETTLEMENT_ACCOUNT_ID,
    ensure_internal_accounts,
    open_customer_account,
    post_opening_deposit,
)
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount
from {{ cookiecutter.bank_slug }}.core_banking.models import Branch, Customer
from {{ cookiecutter.bank_slug }}.core_banking.port import IdempotencyConflict, InsufficientFunds, TransferRequest
from {{ cookiecutter.bank_slug }}.shared.cards import with_check_digit

from ..ledger_helpers import check

pytestmark = [pytest.mark.postgres, pytest.mark.heavy]

THREADS = 32
OPERATIONS_PER_THREAD = 160  # 5,120 in all
ACCOUNTS = 20
OPENING_FEN = 500_000  # 5,000 yuan: large transfers often find too little money
OTHER_BANK = "中国农业银行"


def open_accounts(engine, run: str) -> list[tuple[str, str, str]]:
    """(account_id, card number, holder name) of fresh accounts with their opening deposits."""
    opened = []
    with Session(engine) as session:
        ensure_internal_accounts(session)
        branch = Branch(code=run[:16], name="并发测试网点")
        for n in range(ACCOUNTS):
            customer = Customer(name=f"客户{run[:4]}{n:02d}", id_number=f"{run[:14]}{n:04d}", phone="13800000000",
                                branch=branch)
            session.add(customer)
            card = with_check_digit(f"9{int(run[:8], 16) % 10**9:09d}{n:08d}")
            account = open_customer_account(session, customer, card, pin_hash="")
            opened.append((account.account_id, card, customer.name))
        session.commit()
    for account_id, _card, _name in opened:
        post_opening_deposit(engine, account_id, OPENING_FEN)
    return opened


def test_thousands_of_concurrent_transfers_keep_the_books_exact(postgres_url):
    engine = create_engine(postgres_url, pool_size=THREADS, max_overflow=0)
    run = uuid.uuid4().hex
    accounts = open_accounts(engine, run)
    ledger = LedgerCore(engine)
    by_id = {account_id: (card, name) for account_id, card, name in accounts}
    ids = sorted(by_id)
    hot_pairs = [(ids[i], ids[(i + 1) % ACCOUNTS]) for i in range(ACCOUNTS)]  # each also sent reversed

    sent: list[TransferRequest] = []  # every request, in no particular order (appends are atomic)
    applied: list[tuple[TransferRequest, object]] = []
    replays: list[tuple[TransferRequest, object]] = []
    refused: Counter = Counter()
    unexpected: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def new_request(rng: random.Random) -> TransferRequest:
        payer, payee = rng.choice(hot_pairs) if rng.random() < 0.7 else rng.sample(ids, 2)
        if rng.random() < 0.5:
            payer, payee = payee, payer
        amount = rng.randint(1, 300_000)
        key = f"{run}-{uuid.UUID(int=rng.getrandbits(128)).hex}"
        if rng.random() < 0.03:
            return TransferRequest(key, payer, "6222020200112233445", "赵六", amount, to_bank=OTHER_BANK)
        card, name = by_id[payee]
        return TransferRequest(key, payer, card, name, amount, memo=rng.choice(["", "货款", "还钱"]))

    def worker(index: int) -> None:
        rng = random.Random(f"{run}-{index}")
        start.wait()
        for _ in range(OPERATIONS_PER_THREAD):
            roll = rng.random()
            if roll < 0.15 and len(sent) > 64:  # resend a recent request: usually a replay, maybe a late success
                request = sent[rng.randrange(len(sent) - 64, len(sent))]
            elif roll < 0.18 and len(sent) > 64:  # a recent key with another amount
                original = sent[rng.randrange(len(sent) - 64, len(sent))]
                request = replace(original, amount_fen=original.amount_fen + 1)
            else:
                request = new_request(rng)
            sent.append(request)
            try:
                result = ledger.transfer(request)
            except (InsufficientFunds, IdempotencyConflict) as exc:
                refused[type(exc).__name__] += 1
                continue
            except BaseException as exc:  # noqa: B036 - any other outcome fails the test below
                unexpected.append(exc)
                continue
            (replays if result.replayed else applied).append((request, result))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    total = THREADS * OPERATIONS_PER_THREAD
    assert total >= 5_000
    assert len(applied) + len(replays) + sum(refused.values()) == total
    assert len(applied) > 1_000 and len(replays) > 100 and refused["InsufficientFunds"] > 0
    assert refused["IdempotencyConflict"] > 0

    # Every key applied at most once, and exactly the applied keys are in the journal.
    applied_keys = Counter(request.idempotency_key for request, _ in applied)
    assert max(applied_keys.values()) == 1
    with engine.connect() as connection:
        journal = Counter(connection.scalars(
            select(JournalEntry.idempotency_key).where(JournalEntry.idempotency_key.like(f"{run}-%"))))
    assert journal == applied_keys
    # A replay returns the original result for the same request.
    originals = {request.idempotency_key: (request, result) for request, result in applied}
    for request, result in replays:
        original_request, original_result = originals[request.idempotency_key]
        assert request == original_request
        assert (result.transfer_id, result.from_balance_after_fen) == (
            original_result.transfer_id, original_result.from_balance_after_fen)

    # Balances are exactly the openings plus the applied transfers; none is negative.
    expected = defaultdict(int, {account_id: OPENING_FEN for account_id in ids})
    for request, _ in applied:
        expected[request.from_account_id] -= request.amount_fen
        payee = SETTLEMENT_ACCOUNT_ID if request.to_bank else \
            next(account_id for account_id in ids if by_id[account_id][0] == request.to_account_number)
        expected[payee] += request.amount_fen
    with engine.connect() as connection:
        balances = dict(connection.execute(
            select(LedgerAccount.account_id, LedgerAccount.balance_fen)
            .where(LedgerAccount.account_id.in_(ids))).all())
    assert balances == {account_id: expected[account_id] for account_id in ids}
    assert min(balances.values()) >= 0
    assert sum(balances.values()) == ACCOUNTS * OPENING_FEN - sum(
        request.amount_fen for request, _ in applied if request.to_bank)

    report = check(engine)
    assert report.ok, report.breaches
    assert report.total_balance_fen == 0
    engine.dispose()
