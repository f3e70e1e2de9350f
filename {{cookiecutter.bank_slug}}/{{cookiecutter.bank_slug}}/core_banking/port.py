"""The one port to the bank's core system (`CoreBanking`): the only way the service touches
accounts, identities, PINs, balances, transactions and transfers.

Two adapters implement it: the built-in double-entry ledger (`banking.ledger`) for demos, pilots
and banks without an integration yet, and the HTTP adapter (`banking.http_core`) for the bank's own
core or ESB (contract: banking/core_api.openapi.yaml). Every adapter must pass the contract suite
in tests/contract/.

Money is always integer fen. Card and ID numbers never appear in exception messages or logs.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from ..shared.errors import DomainError
from ..shared.i18n import _l

THIS_BANK = ""  # `to_bank` of a transfer inside this bank; otherwise the payee bank's name or code

# When a transfer reaches the payee (PBOC 银发〔2016〕261号): at once, or held by the core (the payer debited, the
# money on the core's hold account) until the service releases it (2 hours later, or the next day) or the
# customer revokes it first (撤销: the money back to the payer). The service schedules the release, not the core.
ARRIVAL_REALTIME = "realtime"  # 实时到账
ARRIVAL_NORMAL = "normal"  # 普通到账 (about 2 hours)
ARRIVAL_NEXT_DAY = "next_day"  # 次日到账
ARRIVALS = (ARRIVAL_REALTIME, ARRIVAL_NORMAL, ARRIVAL_NEXT_DAY)
HELD = "held"  # TransferResult.status of a transfer the core holds until release_transfer or revoke_transfer
REVOKED = "revoked"  # TransferResult.status of revoke_transfer: the money is back on the payer's account


@dataclass(frozen=True)
class Account:
    account_id: str  # the core's own key; never shown to customers
    card_number: str  # full number: mask before showing (masking.mask_card)
    holder_name: str
    branch_code: str
    status: str  # active | frozen | closed
    currency: str = "CNY"


@dataclass(frozen=True)
class Balance:
    account_id: str
    available_fen: int
    ledger_fen: int
    as_of: datetime  # naive UTC


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    account_id: str
    amount_fen: int  # + credit (money in), - debit (money out)
    balance_after_fen: int
    occurred_at: datetime  # naive UTC
    kind: str  # transfer_in | transfer_out | deposit | withdrawal | fee | interest | other
    counterparty_name: str = ""
    counterparty_account: str = ""  # full number: mask before showing
    memo: str = ""


@dataclass(frozen=True)
class TransferRequest:
    idempotency_key: str  # one per customer intent (form); a retry with the same key posts nothing new
    from_account_id: str
    to_account_number: str  # card or account number of the payee
    to_name: str  # checked against the payee account for transfers inside this bank
    amount_fen: int
    to_bank: str = THIS_BANK
    memo: str = ""
    arrival: str = ARRIVAL_REALTIME  # one of ARRIVALS
    hold_for_review: bool = False  # held whatever the arrival: the service's fraud rules want a person to look

    @property
    def held(self) -> bool:
        return self.arrival != ARRIVAL_REALTIME or self.hold_for_review


@dataclass(frozen=True)
class TransferResult:
    transfer_id: str
    status: str  # posted (inside this bank) | pending_settlement (to another bank, via settlement account) | held
    # (a delayed transfer, not yet released) | revoked (revoke_transfer's answer)
    amount_fen: int
    from_balance_after_fen: int
    posted_at: datetime  # naive UTC
    replayed: bool = False  # True when the idempotency key had already been applied


class CoreBankingError(DomainError):
    """A refusal by the core. `code` is stable (used by the HTTP contract, core_banking/http/wire.py maps it
    to the wire's status); `message` is text fit for the customer's page: the class default is lazy (_l, the
    page's language), a core's own message is as sent."""

    code = "core_error"
    message = _l("核心系统处理失败，请稍后再试")


class AccountNotFound(CoreBankingError):
    code, message = "account_not_found", _l("账户不存在")


class AccountNotActive(CoreBankingError):
    code, message = "account_not_active", _l("账户状态异常，请联系开户网点")


class PayeeNotFound(CoreBankingError):
    code, message = "payee_not_found", _l("收款账户不存在，请核对账号")


class PayeeNameMismatch(CoreBankingError):
    code, message = "payee_name_mismatch", _l("收款人户名与账号不符，请核对")


class SameAccount(CoreBankingError):
    code, message = "same_account", _l("不能向本账户转账")


class InvalidAmount(CoreBankingError):
    code, message = "invalid_amount", _l("转账金额无效")


class InsufficientFunds(CoreBankingError):
    code, message = "insufficient_funds", _l("账户可用余额不足")


class IdempotencyConflict(CoreBankingError):
    code, message = "idempotency_conflict", _l("该笔交易已提交且内容不同，请重新发起")


class CoreUnavailable(CoreBankingError):
    code, message = "core_unavailable", _l("核心系统暂时无法访问，请稍后再试")


class CoreRejectedRequest(CoreBankingError):
    """The core answered 400 invalid_request: what was sent does not follow the contract (an input the
    service should have refused first). A client error, not an outage: the customer gets a 400."""

    code, message = "invalid_request", _l("提交的信息格式有误，请核对后重试")


class TransferNotHeld(CoreBankingError):
    """release_transfer / revoke_transfer: no transfer is held under this key (never made, or made at once)."""

    code, message = "transfer_not_held", _l("未找到待到账的转账")


class TransferAlreadyReleased(CoreBankingError):
    """revoke_transfer after the held transfer was released: the money has reached the payee (or settlement)."""

    code, message = "transfer_already_released", _l("该笔转账已到账，无法撤销")


class TransferAlreadyRevoked(CoreBankingError):
    """release_transfer after the customer revoked the held transfer: the money is back with the payer."""

    code, message = "transfer_already_revoked", _l("该笔转账已撤销，资金已退回付款账户")


ERRORS_BY_CODE = {cls.code: cls for cls in (
    AccountNotFound, AccountNotActive, PayeeNotFound, PayeeNameMismatch, SameAccount, InvalidAmount,
    InsufficientFunds, IdempotencyConflict, CoreUnavailable, CoreRejectedRequest, TransferNotHeld,
    TransferAlreadyReleased, TransferAlreadyRevoked,
)}


@runtime_checkable
class CoreBanking(Protocol):
    def find_account_by_card(self, card_number: str) -> Account | None:
        """The account a card (digits only) belongs to, or None."""

    def get_account(self, account_id: str) -> Account:
        """Raises AccountNotFound."""

    def verify_identity(self, account_id: str, name: str, id_number: str, phone: str) -> bool:
        """True when name, ID number and reserved phone all match the account's holder."""

    def verify_pin(self, account_id: str, pin: str) -> bool:
        """True when the transaction PIN is right. Counting failures and locking is the service's
        policy, not the core's; the PIN is never stored or logged in clear."""

    def balance(self, account_id: str) -> Balance:
        """Raises AccountNotFound."""

    def recent_transactions(self, account_id: str, limit: int = 10) -> list[Transaction]:
        """Newest first."""

    def transfer(self, request: TransferRequest) -> TransferResult:
        """Post a transfer exactly once per idempotency key. Inside this bank: debit the payer,
        credit the payee (name checked). To another bank: debit the payer, credit the settlement
        account, status pending_settlement. Raises a CoreBankingError subclass and posts nothing
        on refusal. A held request (`request.held`: arrival normal or next_day, or hold_for_review) is checked
        the same way, then debits the payer onto the core's hold account: status held, until one of the two
        calls below settles it."""

    def release_transfer(self, idempotency_key: str) -> TransferResult:
        """Move a held transfer on to the payee (posted) or the settlement account (pending_settlement), once.
        Again after a release: the same result, replayed=True. Raises TransferNotHeld, TransferAlreadyRevoked,
        or the refusal of the payee's account (AccountNotActive: the service then revokes)."""

    def revoke_transfer(self, idempotency_key: str) -> TransferResult:
        """Give a held transfer's money back to the payer (status revoked), once. Again after a revocation: the
        same result, replayed=True. Raises TransferNotHeld or TransferAlreadyReleased. A release and a revocation
        racing each other: exactly one happens, the other gets the error."""

    def ping(self) -> None:
        """A cheap call that proves the core answers (the service's /readyz); raises CoreUnavailable
        when it does not. Reads nothing of any customer."""
