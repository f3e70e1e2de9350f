"""A small in-memory CoreBanking for the HTTP adapter's own tests (the contract suite runs the ledger)."""

import threading
from dataclasses import replace
from datetime import datetime

from {{ cookiecutter.bank_slug }}.core_banking.port import (
    THIS_BANK,
    Account,
    AccountNotFound,
    Balance,
    IdempotencyConflict,
    InsufficientFunds,
    PayeeNotFound,
    Transaction,
    TransferAlreadyReleased,
    TransferAlreadyRevoked,
    TransferNotHeld,
    TransferRequest,
    TransferResult,
)

CARD = "6217000010012345678"
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
        }
        self.balances = {"A0001": 1_000_000, "A0002": 0}
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
