"""A small in-memory CoreBanking for the HTTP adapter's own tests (the contract suite runs the ledger)."""

import threading
from dataclasses import replace
from datetime import date, datetime

from {{ cookiecutter.bank_slug }}.core_banking.port import (
    CARD_CREDIT,
    THIS_BANK,
    Account,
    AccountNotFound,
    Balance,
    CreditCard,
    CreditStatement,
    IdempotencyConflict,
    InsufficientFunds,
    NotCreditCard,
    PayeeNotFound,
    RepaymentExceedsOwed,
    RepaymentRequest,
    RepaymentResult,
    Transaction,
    TransferAlreadyReleased,
    TransferAlreadyRevoked,
    TransferNotHeld,
    TransferRequest,
    TransferResult,
)

CARD = "6217000010012345678"
CREDIT_CARD = "6258000000000017"
PAYEE_CARD = "6217000010098765432"
ID_NUMBER = "110101199003071234"
PHONE = "13800138000"
AS_OF = datetime(2024, 5, 1, 8, 30, 0, 123456)


class FakeCore:
    """Two accounts. `fail_with` makes every call raise that exception; `hold` (an Event) makes a
    transfer wait, after posting, until it is set (a core that answers too late)."""

    def __init__(self) -> None:
        self.accounts = {
            "A0001": Account("A0001", CARD, "张三", "001", "active"),
            "A0002": Account("A0002", PAYEE_CARD, "李四", "001", "active"),
            "A0010": Account("A0010", CREDIT_CARD, "张三", "001", "active", kind=CARD_CREDIT),
        }
        self.balances = {"A0001": 1_000_000, "A0002": 0, "A0010": -356_080}
        self.credit_limit_fen = 5_000_000
        self.repayments: dict[str, tuple[RepaymentRequest, RepaymentResult]] = {}
        self.transfers: dict[str, tuple[TransferRequest, TransferResult]] = {}
        self.calls: list[str] = []
        self.fail_with: Exception | None = None
        self.hold: threading.Event | None = None
        self._lock = threading.Lock()

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_with is not None:
            raise self.fail_with

    def _account(self, account_id: str) -> Account:
        if account_id not in self.accounts:
            raise AccountNotFound()
        return self.accounts[account_id]

    def ping(self) -> None:
        self._enter("ping")

    def find_account_by_card(self, card_number: str) -> Account | None:
        self._enter("find_account_by_card")
        return next((a for a in self.accounts.values() if a.card_number == card_number), None)

    def get_account(self, account_id: str) -> Account:
        self._enter("get_account")
        return self._account(account_id)

    def verify_identity(self, account_id: str, name: str, id_number: str, phone: str) -> bool:
        self._enter("verify_identity")
        holder = self._account(account_id).holder_name
        return (name, id_number, phone) == (holder, ID_NUMBER, PHONE)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        self._enter("verify_pin")
        self._account(account_id)
        return pin == "123456"

    def balance(self, account_id: str) -> Balance:
        self._enter("balance")
        self._account(account_id)
        fen = self.balances[account_id]
        return Balance(account_id, fen, fen, AS_OF)

    def recent_transactions(self, account_id: str, limit: int = 10) -> list[Transaction]:
        self._enter("recent_transactions")
        self._account(account_id)
        items = [Transaction(f"T{n}", account_id, -100 * n, 1_000_000 - 100 * n, AS_OF, "transfer_out",
                             "李四", PAYEE_CARD, "房租") for n in range(1, 4)]
        return items[:limit]

    def transfer(self, request: TransferRequest) -> TransferResult:
        self._enter("transfer")
        with self._lock:
            if request.idempotency_key in self.transfers:
                earlier, result = self.transfers[request.idempotency_key]
                if earlier != request:
                    raise IdempotencyConflict()
                return replace(result, replayed=True)
            self._account(request.from_account_id)
            payee = next((a for a in self.accounts.values() if a.card_number == request.to_account_number), None)
            if request.to_bank == THIS_BANK and payee is None:
                raise PayeeNotFound()
            if self.balances[request.from_account_id] < request.amount_fen:
                raise InsufficientFunds()
            self.balances[request.from_account_id] -= request.amount_fen
            result = TransferResult(f"TR{len(self.transfers) + 1}", "held" if request.held else "posted",
                                    request.amount_fen, self.balances[request.from_account_id], AS_OF)
            self.transfers[request.idempotency_key] = (request, result)
        if self.hold is not None:
            self.hold.wait(timeout=30)
        return result

    def _credit(self, account_id: str) -> Account:
        account = self._account(account_id)
        if account.kind != CARD_CREDIT:
            raise NotCreditCard()
        return account

    def credit_card(self, account_id: str) -> CreditCard:
        self._enter("credit_card")
        self._credit(account_id)
        owed = -self.balances[account_id]
        return CreditCard(account_id, self.credit_limit_fen, owed, self.credit_limit_fen - owed, 5, 25, AS_OF)

    def credit_statements(self, account_id: str, limit: int = 6) -> list[CreditStatement]:
        self._enter("credit_statements")
        self._credit(account_id)
        line = Transaction("T9", account_id, -356_080, -356_080, AS_OF, "purchase", "城东百货", "", "消费")
        statement = CreditStatement(f"{account_id}-20240505", account_id, date(2024, 4, 6), date(2024, 5, 5),
                                    date(2024, 5, 25), 356_080, 35_608, 0, (line,))
        return [statement][:limit]

    def repay_credit_card(self, request: RepaymentRequest) -> RepaymentResult:
        self._enter("repay_credit_card")
        with self._lock:
            if request.idempotency_key in self.repayments:
                earlier, result = self.repayments[request.idempotency_key]
                if earlier != request:
                    raise IdempotencyConflict()
                return replace(result, replayed=True)
            self._account(request.from_account_id)
            self._credit(request.card_account_id)
            if request.amount_fen > -self.balances[request.card_account_id]:
                raise RepaymentExceedsOwed()
            if self.balances[request.from_account_id] < request.amount_fen:
                raise InsufficientFunds()
            self.balances[request.from_account_id] -= request.amount_fen
            self.balances[request.card_account_id] += request.amount_fen
            owed = -self.balances[request.card_account_id]
            result = RepaymentResult(f"R{len(self.repayments) + 1}", request.amount_fen,
                                     self.balances[request.from_account_id], owed, self.credit_limit_fen - owed, AS_OF)
            self.repayments[request.idempotency_key] = (request, result)
        return result

    def _settle(self, name: str, key: str, ends: str) -> TransferResult:
        self._enter(name)
        with self._lock:
            if key not in self.transfers or not self.transfers[key][0].held:
                raise TransferNotHeld()
            request, result = self.transfers[key]
            if result.status == ends:
                return replace(result, replayed=True)
            if result.status != "held":
                raise TransferAlreadyRevoked() if result.status == "revoked" else TransferAlreadyReleased()
            if ends == "revoked":
                self.balances[request.from_account_id] += request.amount_fen
            settled = replace(result, status=ends, from_balance_after_fen=self.balances[request.from_account_id])
            self.transfers[key] = (request, settled)
            return settled

    def release_transfer(self, idempotency_key: str) -> TransferResult:
        return self._settle("release_transfer", idempotency_key, "posted")

    def revoke_transfer(self, idempotency_key: str) -> TransferResult:
        return self._settle("revoke_transfer", idempotency_key, "revoked")
