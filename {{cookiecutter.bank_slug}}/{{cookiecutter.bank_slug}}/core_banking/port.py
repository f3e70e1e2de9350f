"""The one port to the bank's core system (`CoreBanking`): the only way the service touches
accounts, identities, PINs, balances, transactions and transfers.

Two adapters implement it: the built-in double-entry ledger (`banking.ledger`) for demos, pilots
and banks without an integration yet, and the HTTP adapter (`banking.http_core`) for the bank's own
core or ESB (contract: banking/core_api.openapi.yaml). Every adapter must pass the contract suite
in tests/contract/.

Money is always integer fen. Card and ID numbers never appear in exception messages or logs.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from ..shared.errors import DomainError
from ..shared.i18n import _l

THIS_BANK = ""  # `to_bank` of a transfer inside this bank; otherwise the payee bank's name or code
CARD_DEBIT = "debit"  # Account.kind: a debit card (current account)
CARD_CREDIT = "credit"  # Account.kind: a credit card; its limit and statements through credit_card()

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
    kind: str = CARD_DEBIT  # debit | credit (CARD_DEBIT, CARD_CREDIT)


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


@dataclass(frozen=True)
class CreditCard:
    """A credit card account now: what it may owe (limit), what it owes, what is left to spend."""

    account_id: str
    credit_limit_fen: int
    owed_fen: int  # everything owed now, billed or not (>= 0; a card is never in credit)
    available_credit_fen: int  # credit_limit_fen - owed_fen
    statement_day: int  # 1-28: the day of the month the statement is cut (at the end of that day, bank time)
    due_day: int  # 1-28: repayment is due on the first such day after the statement day
    as_of: datetime  # naive UTC


@dataclass(frozen=True)
class CreditStatement:
    """One monthly statement (账单) of a credit card, newest first from credit_statements()."""

    statement_id: str
    account_id: str
    period_start: date  # first day of the period (bank time), inclusive
    period_end: date  # the statement day, inclusive
    due_date: date
    new_balance_fen: int  # owed at the end of the period (本期应还)
    minimum_payment_fen: int  # 最低还款额
    paid_fen: int  # repaid since the statement was cut, at most new_balance_fen
    transactions: tuple[Transaction, ...] = ()  # the period's postings, oldest first

    @property
    def remaining_fen(self) -> int:
        return max(self.new_balance_fen - self.paid_fen, 0)

    @property
    def minimum_remaining_fen(self) -> int:
        return max(self.minimum_payment_fen - self.paid_fen, 0)


@dataclass(frozen=True)
class RepaymentRequest:
    """Move `amount_fen` from a debit card to a credit card of the same customer (the core checks both)."""

    idempotency_key: str  # one per customer intent; a retry with the same key posts nothing new
    from_account_id: str  # the customer's debit card
    card_account_id: str  # the customer's credit card
    amount_fen: int  # at most what the card owes


@dataclass(frozen=True)
class RepaymentResult:
    repayment_id: str
    amount_fen: int
    from_balance_after_fen: int
    owed_after_fen: int
    available_credit_after_fen: int
    posted_at: datetime  # naive UTC
    replayed: bool = False


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


class NotCreditCard(CoreBankingError):
    code, message = "not_credit_card", _l("该卡不是信用卡")


class NotOwnAccount(CoreBankingError):
    """A repayment between accounts of two different customers: only one's own cards move money here."""

    code, message = "not_own_account", _l("只能使用本人名下的借记卡为本人的信用卡还款")


class RepaymentExceedsOwed(CoreBankingError):
    code, message = "repayment_exceeds_owed", _l("还款金额超过信用卡欠款")


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
    TransferAlreadyReleased, TransferAlreadyRevoked, NotCreditCard, NotOwnAccount, RepaymentExceedsOwed,
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

    def credit_card(self, account_id: str) -> CreditCard:
        """The limit, what is owed and the cycle of a credit card. Raises AccountNotFound, NotCreditCard."""

    def credit_statements(self, account_id: str, limit: int = 6) -> list[CreditStatement]:
        """The card's statements, newest first (at most `limit`, 1-24). Raises AccountNotFound, NotCreditCard."""

    def repay_credit_card(self, request: RepaymentRequest) -> RepaymentResult:
        """Post a repayment exactly once per idempotency key: debit the debit card, credit the credit card,
        both of the same customer (NotOwnAccount otherwise), never more than the card owes
        (RepaymentExceedsOwed) nor than the debit card holds (InsufficientFunds). Posts nothing on refusal."""

    def ping(self) -> None:
        """A cheap call that proves the core answers (the service's /readyz); raises CoreUnavailable
        when it does not. Reads nothing of any customer."""
