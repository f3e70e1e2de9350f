"""The built-in ledger (LedgerCore) beyond the shared contract: what it stores, refusals that post
nothing, settlement, PIN storage, the adapter switch."""

import threading
import uuid

import pytest
from sqlalchemy import select, update

from {{ cookiecutter.bank_slug }}.core_banking.current import get_core
from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import CAPITAL_ACCOUNT_ID, SETTLEMENT_ACCOUNT_ID
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import JournalEntry, LedgerAccount, Posting
from {{ cookiecutter.bank_slug }}.core_banking.port import (
    AccountNotActive,
    AccountNotFound,
    CoreBankingError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    PayeeNotFound,
    TransferRequest,
)
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.settings import ConfigError
from {{ cookiecutter.bank_slug }}.shared import demo_data

from ..ledger_helpers import check, counts, seed

pytestmark = pytest.mark.smoke


@pytest.fixture
def accounts(app):
    return seed(app)


@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


@pytest.fixture
def ledger(engine, accounts):
    return LedgerCore(engine)


def request(payer, payee, amount_fen=1_000, key=None, **fields):
    return TransferRequest(idempotency_key=key or uuid.uuid4().hex, from_account_id=payer.account_id,
                           to_account_number=payee.card_number, to_name=payee.customer.name,
                           amount_fen=amount_fen, **fields)


def balance(engine, account_id):
    with engine.connect() as connection:
        return connection.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.account_id == account_id))


def test_seed_opens_accounts_from_the_capital_account(engine, accounts):
    total = sum(account.balance_fen for account in accounts)
    assert total > 0
    assert balance(engine, CAPITAL_ACCOUNT_ID) == -total
    # the demo credit cards' spending is settled through the settlement account (ledger/credit.py)
    purchases = [amount for spent in demo_data.CREDIT_CARD_PURCHASES.values() for _days, amount, _m in spent]
    assert balance(engine, SETTLEMENT_ACCOUNT_ID) == sum(purchases)
    assert counts(engine) == (len(accounts) + len(purchases), 2 * (len(accounts) + len(purchases)))
    assert check(engine).ok


def test_seed_again_changes_nothing(app, engine, accounts):
    before = counts(engine)
    assert [account.account_id for account in seed(app)] == [account.account_id for account in accounts]
    assert counts(engine) == before
    assert check(engine).ok


def test_the_pin_is_stored_as_a_salted_scrypt_hash(engine, accounts, ledger):
    with engine.connect() as connection:
        pin_hash = connection.scalar(
            select(LedgerAccount.pin_hash).where(LedgerAccount.account_id == accounts[0].account_id))
    assert pin_hash.startswith("scrypt:") and "147258" not in pin_hash
    assert ledger.verify_pin(accounts[0].account_id, "147258")
    assert not ledger.verify_pin(accounts[0].account_id, "147259")
    assert not ledger.verify_pin(accounts[0].account_id, "14725８")
    assert not ledger.verify_pin(CAPITAL_ACCOUNT_ID, "147258")  # internal accounts have no PIN
    assert not ledger.verify_pin("A9999999", "147258")


def test_identity_is_lenient_about_spacing_and_case_only(accounts, ledger):
    customer = accounts[7].customer  # 欧阳明: ID number ends in a digit or X
    assert ledger.verify_identity(accounts[7].account_id, f" {customer.name} ", customer.id_number.lower(),
                                  f"{customer.phone[:3]} {customer.phone[3:]}")
    assert not ledger.verify_identity(accounts[7].account_id, customer.name[:2], customer.id_number, customer.phone)
    assert not ledger.verify_identity(CAPITAL_ACCOUNT_ID, customer.name, customer.id_number, customer.phone)


def test_a_transfer_is_one_balanced_entry(engine, accounts, ledger):
    payer, payee = accounts[0], accounts[2]
    result = ledger.transfer(request(payer, payee, 12_345, memo="房租"))
    with engine.connect() as connection:
        entry = connection.execute(select(JournalEntry).where(JournalEntry.id == int(result.transfer_id[1:]))).one()
        postings = connection.execute(
            select(Posting.account_id, Posting.amount_fen, Posting.balance_after_fen)
            .where(Posting.entry_id == entry.id).order_by(Posting.id)).all()
    assert (entry.kind, entry.status, entry.amount_fen) == ("transfer", "posted", 12_345)
    assert [tuple(p) for p in postings] == [
        (payer.account_id, -12_345, payer.balance_fen - 12_345),
        (payee.account_id, 12_345, payee.balance_fen + 12_345),
    ]
    assert check(engine).ok


def test_another_bank_credits_the_settlement_account(engine, accounts, ledger):
    settled_before = balance(engine, SETTLEMENT_ACCOUNT_ID)  # the demo credit cards' spending
    result = ledger.transfer(TransferRequest(uuid.uuid4().hex, accounts[0].account_id, "6222 0202 0011 2233 445",
                                             "赵六", 30_000, to_bank="中国建设银行"))
    assert result.status == "pending_settlement"
    assert balance(engine, SETTLEMENT_ACCOUNT_ID) == settled_before + 30_000
    assert balance(engine, accounts[0].account_id) == accounts[0].balance_fen - 30_000
    settlement = ledger.recent_transactions(SETTLEMENT_ACCOUNT_ID, 1)[0]
    assert (settlement.amount_fen, settlement.counterparty_account) == (30_000, accounts[0].card_number)
    assert check(engine).ok


def test_another_bank_needs_a_plausible_account_and_a_name(engine, accounts, ledger):
    before = counts(engine)
    for number, name in (("12345", "赵六"), ("6222abc", "赵六"), ("6222020200112233445", " ")):
        with pytest.raises(PayeeNotFound):
            ledger.transfer(TransferRequest(uuid.uuid4().hex, accounts[0].account_id, number, name, 100,
                                            to_bank="中国建设银行"))
    assert counts(engine) == before


def test_payee_by_account_id_but_never_an_internal_account(engine, accounts, ledger):
    payer, payee = accounts[0], accounts[2]
    result = ledger.transfer(TransferRequest(uuid.uuid4().hex, payer.account_id, payee.account_id,
                                             payee.customer.name, 100))
    assert result.status == "posted"
    with pytest.raises(PayeeNotFound):
        ledger.transfer(TransferRequest(uuid.uuid4().hex, payer.account_id, SETTLEMENT_ACCOUNT_ID, "跨行清算往来户", 1))
    with pytest.raises(AccountNotFound):  # internal accounts cannot pay through the port
        ledger.transfer(TransferRequest(uuid.uuid4().hex, CAPITAL_ACCOUNT_ID, payee.card_number,
                                        payee.customer.name, 1))


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "100", None, 10**16])
def test_amounts_must_be_positive_whole_fen(engine, accounts, ledger, amount):
    before = counts(engine)
    with pytest.raises(InvalidAmount):
        ledger.transfer(request(accounts[0], accounts[2], amount))
    assert counts(engine) == before


@pytest.mark.parametrize("key", ["", "   ", "k" * 129, None])
def test_idempotency_key_must_be_usable(engine, accounts, ledger, key):
    before = counts(engine)
    with pytest.raises(CoreBankingError) as raised:
        ledger.transfer(TransferRequest(key, accounts[0].account_id, accounts[2].card_number,
                                        accounts[2].customer.name, 100))
    assert raised.value.code == "core_error"
    assert counts(engine) == before


@pytest.mark.parametrize("frozen", ["payer", "payee"])
def test_frozen_accounts_move_nothing(app, engine, accounts, ledger, frozen):
    payer, payee = accounts[0], accounts[2]
    with app.app_context():
        target = payer if frozen == "payer" else payee
        db.session.execute(update(LedgerAccount).where(LedgerAccount.account_id == target.account_id)
                           .values(status="frozen"))
        db.session.commit()
    before = counts(engine)
    with pytest.raises(AccountNotActive):
        ledger.transfer(request(payer, payee))
    assert counts(engine) == before
    assert ledger.get_account(target.account_id).status == "frozen"


def test_replay_and_conflict(engine, accounts, ledger):
    first = request(accounts[0], accounts[2], 5_000)
    original = ledger.transfer(first)
    after_first = counts(engine)
    replay = ledger.transfer(first)
    assert replay.replayed and replay.transfer_id == original.transfer_id
    assert replay.from_balance_after_fen == original.from_balance_after_fen
    assert replay.posted_at == original.posted_at
    ledger.transfer(request(accounts[0], accounts[2], 1))  # the payer's balance moves on
    assert ledger.transfer(first).from_balance_after_fen == original.from_balance_after_fen
    changed = [
        request(accounts[0], accounts[2], 5_001, key=first.idempotency_key),
        request(accounts[0], accounts[3], 5_000, key=first.idempotency_key),
        request(accounts[1], accounts[2], 5_000, key=first.idempotency_key),
        request(accounts[0], accounts[2], 5_000, key=first.idempotency_key, memo="不同附言"),
        request(accounts[0], accounts[2], 5_000, key="opening:" + accounts[0].account_id),
    ]
    for other in changed:
        with pytest.raises(IdempotencyConflict):
            ledger.transfer(other)
    assert counts(engine)[0] == after_first[0] + 1
    assert check(engine).ok


def test_a_resent_request_replays_even_when_it_would_now_be_refused(app, engine, accounts, ledger):
    """The key is looked up before any refusal (on PostgreSQL in the same round trip as the locks; with another
    PostgreSQL driver the entry's INSERT ... ON CONFLICT finds a resend, so a refusal checks the key first), or a
    resend would read as failed."""
    small = accounts[8]  # 5.00 yuan
    everything = request(small, accounts[0], small.balance_fen)
    original = ledger.transfer(everything)
    before = counts(engine)
    again = ledger.transfer(everything)  # the payer has 0.00 now: as a new request this is insufficient funds
    assert again.replayed and again.transfer_id == original.transfer_id and again.from_balance_after_fen == 0
    with app.app_context():
        db.session.execute(update(LedgerAccount).where(LedgerAccount.account_id == small.account_id)
                           .values(status="frozen"))
        db.session.commit()
    assert ledger.transfer(everything).transfer_id == original.transfer_id  # frozen since: still the same answer
    with pytest.raises(IdempotencyConflict):  # the same key with another amount is refused, as ever
        ledger.transfer(request(small, accounts[0], 1, key=everything.idempotency_key))
    with pytest.raises(AccountNotActive):  # a new key is refused for what it is
        ledger.transfer(request(small, accounts[0], 1))
    assert counts(engine) == before
    assert check(engine).ok


def test_insufficient_funds_never_leaves_a_negative_balance(engine, accounts, ledger):
    small = accounts[8]  # 5.00 yuan
    ledger.transfer(request(small, accounts[0], small.balance_fen))
    with pytest.raises(InsufficientFunds):
        ledger.transfer(request(small, accounts[0], 1))
    assert balance(engine, small.account_id) == 0
    assert check(engine).ok


def test_history_limit_is_bounded(accounts, ledger):
    assert ledger.recent_transactions(accounts[0].account_id, 0) == []
    assert len(ledger.recent_transactions(accounts[0].account_id, 10_000)) == 1


def test_threads_on_the_test_database_serialise(engine, accounts, ledger):
    """SQLite: BEGIN IMMEDIATE queues the writers (PostgreSQL: row locks); nothing is lost or doubled."""
    pairs = [(accounts[0], accounts[2]), (accounts[2], accounts[0]), (accounts[4], accounts[7]),
             (accounts[7], accounts[4])]
    errors, done = [], []

    def worker(index):
        payer, payee = pairs[index % len(pairs)]
        for n in range(15):
            key = f"t{index}-{n % 10}"  # keys 10-14 repeat 0-4: replays
            try:
                done.append(ledger.transfer(request(payer, payee, 100, key=key)))
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(not result.replayed for result in done) == 8 * 10
    assert sum(result.replayed for result in done) == 8 * 5
    assert balance(engine, accounts[0].account_id) == accounts[0].balance_fen  # +- cancelled out
    assert check(engine).ok


def test_get_core_is_the_ledger_by_default(app, engine):
    with app.app_context():
        core = get_core()  # metered for /metrics (core_banking/current.py)
        assert isinstance(core.adapter, LedgerCore) and core.adapter.engine is engine
        assert get_core() is core


def test_core_adapter_setting(make_app):
    with pytest.raises(ConfigError):
        make_app(CORE_BANKING_ADAPTER="mainframe")
    http = make_app(CORE_BANKING_ADAPTER="HTTP", CORE_BANKING_URL="https://core.bank.internal/v1")  # URL required
    assert http.config["CORE_BANKING_ADAPTER"] == "http"


def test_get_core_builds_the_http_adapter_when_configured(make_app):
    from {{ cookiecutter.bank_slug }}.core_banking.http.client import HttpCoreBanking

    app = make_app(CORE_BANKING_ADAPTER="http", CORE_BANKING_URL="http://127.0.0.1:9/core/v1")
    with app.app_context():
        core = get_core().adapter
    assert isinstance(core, HttpCoreBanking) and core.base_url == "http://127.0.0.1:9/core/v1"

