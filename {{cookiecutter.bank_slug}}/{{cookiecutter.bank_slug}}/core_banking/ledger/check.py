"""The ledger's invariants, verified from the tables (`flask ledger check`, tests, bench).

* the sum of all balances equals the sum of all postings, and both are 0;
* each account's balance equals the sum of its postings and its latest posting's balance after,
  and every posting's balance after is the running sum of the account's postings;
* every journal entry has at least two postings, they sum to 0, and its credits equal its amount;
* every idempotency key was applied once;
* no customer account has, or ever had, a negative balance.
"""

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, inspect, select, text

from .accounts import HOLD_ACCOUNT_ID
from .holds import held_total
from .models import (
    ENTRY_RELEASE,
    ENTRY_REVOCATION,
    HOLD_HELD,
    KIND_CREDIT,
    KIND_CUSTOMER,
    CreditCardTerms,
    Hold,
    JournalEntry,
    LedgerAccount,
    Posting,
)

MAX_LISTED = 20  # breaches named per invariant; the count says how many there were


@dataclass
class LedgerReport:
    accounts: int = 0
    customer_accounts: int = 0
    entries: int = 0
    postings: int = 0
    total_balance_fen: int = 0
    total_postings_fen: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches


def _name_breaches(report: LedgerReport, title: str, offenders: list[str]) -> None:
    if offenders:
        listed = ", ".join(offenders[:MAX_LISTED]) + (" ..." if len(offenders) > MAX_LISTED else "")
        report.breaches.append(f"{title} ({len(offenders)}): {listed}")


def begin_snapshot(connection: Connection) -> None:
    """Make the following reads one consistent snapshot, even while transfers are running."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")  # a read transaction: WAL keeps its snapshot


def check_ledger(connection: Connection) -> LedgerReport:
    """Read-only; call `begin_snapshot(connection)` first for exact results under load."""
    count = func.count
    report = LedgerReport(
        accounts=connection.scalar(select(count()).select_from(LedgerAccount)),
        customer_accounts=connection.scalar(
            select(count()).select_from(LedgerAccount).where(LedgerAccount.kind == KIND_CUSTOMER)),
        entries=connection.scalar(select(count()).select_from(JournalEntry)),
        postings=connection.scalar(select(count()).select_from(Posting)),
        total_balance_fen=int(connection.scalar(select(func.coalesce(func.sum(LedgerAccount.balance_fen), 0)))),
        total_postings_fen=int(connection.scalar(select(func.coalesce(func.sum(Posting.amount_fen), 0)))),
    )
    if report.total_balance_fen != report.total_postings_fen:
        report.breaches.append(f"总余额与分录合计不符 sum of balances {report.total_balance_fen} != "
                               f"sum of postings {report.total_postings_fen}")
    if report.total_balance_fen != 0:
        report.breaches.append(f"总余额不为零 sum of all balances is {report.total_balance_fen}, not 0")

    posted = (select(Posting.account_id, func.sum(Posting.amount_fen).label("total"))
              .group_by(Posting.account_id).subquery())
    latest = (select(Posting.account_id, func.max(Posting.id).label("last_id"))
              .group_by(Posting.account_id).subquery())
    rows = connection.execute(
        select(LedgerAccount.account_id, LedgerAccount.balance_fen, func.coalesce(posted.c.total, 0).label("total"),
               Posting.balance_after_fen)
        .outerjoin(posted, posted.c.account_id == LedgerAccount.account_id)
        .outerjoin(latest, latest.c.account_id == LedgerAccount.account_id)
        .outerjoin(Posting, Posting.id == latest.c.last_id)
        .order_by(LedgerAccount.account_id))
    _name_breaches(report, "余额与分录不符 balance != sum of its postings or last balance after", [
        f"{row.account_id} balance {row.balance_fen} postings {row.total} last {row.balance_after_fen}"
        for row in rows
        if row.balance_fen != row.total or (row.balance_after_fen is not None and row.balance_after_fen != row.total)
    ])

    running = select(Posting.id, Posting.account_id, Posting.balance_after_fen, func.sum(Posting.amount_fen).over(
        partition_by=Posting.account_id, order_by=Posting.id).label("running")).subquery()
    _name_breaches(report, "分录余额不连续 a posting's balance after is not the running sum", [
        f"{row.account_id} posting {row.id}" for row in connection.execute(
            select(running).where(running.c.balance_after_fen != running.c.running).order_by(running.c.id))
    ])

    legs = (select(Posting.entry_id, func.count().label("legs"), func.sum(Posting.amount_fen).label("total"),
                   func.sum(func.abs(Posting.amount_fen)).label("moved"))
            .group_by(Posting.entry_id).subquery())
    _name_breaches(report, "分录不平衡 entry not balanced (needs >= 2 postings summing to 0, credits = amount)", [
        f"entry {row.id}" for row in connection.execute(
            select(JournalEntry.id, legs.c.legs, legs.c.total, legs.c.moved, JournalEntry.amount_fen)
            .outerjoin(legs, legs.c.entry_id == JournalEntry.id).order_by(JournalEntry.id))
        if row.legs is None or row.legs < 2 or row.total != 0 or row.moved != 2 * row.amount_fen
    ])

    _name_breaches(report, "幂等键重复入账 idempotency key applied more than once", [
        f"key #{index} ({row.times} times)" for index, row in enumerate(connection.execute(
            select(JournalEntry.idempotency_key, count().label("times"))
            .group_by(JournalEntry.idempotency_key).having(count() > 1)), start=1)
    ])

    _name_breaches(report, "客户账户出现负余额 negative customer balance", [
        f"{row.account_id} {row.balance_fen}" for row in connection.execute(
            select(LedgerAccount.account_id, LedgerAccount.balance_fen)
            .where(LedgerAccount.kind == KIND_CUSTOMER, LedgerAccount.balance_fen < 0))
    ] + [
        f"{row.account_id} posting {row.id}" for row in connection.execute(
            select(Posting.account_id, Posting.id)
            .join(LedgerAccount, LedgerAccount.account_id == Posting.account_id)
            .where(LedgerAccount.kind == KIND_CUSTOMER, Posting.balance_after_fen < 0))
    ])

    if inspect(connection).has_table(Hold.__tablename__):  # (a database not upgraded to the holds yet: none)
        _check_holds(connection, report)
    if not inspect(connection).has_table(CreditCardTerms.__tablename__):  # a database below migration 0032
        return report
    _name_breaches(report, "信用卡超出额度或溢缴 credit card beyond its limit, in credit, or without terms", [
        f"{row.account_id} {row.balance_fen} limit {row.credit_limit_fen}" for row in connection.execute(
            select(LedgerAccount.account_id, LedgerAccount.balance_fen, CreditCardTerms.credit_limit_fen)
            .outerjoin(CreditCardTerms, CreditCardTerms.account_id == LedgerAccount.account_id)
            .where(LedgerAccount.kind == KIND_CREDIT).order_by(LedgerAccount.account_id))
        if row.credit_limit_fen is None or row.balance_fen > 0 or -row.balance_fen > row.credit_limit_fen
    ])
    return report


def _check_holds(connection: Connection, report: LedgerReport) -> None:
    """The hold account holds exactly what is held; no hold is both released and revoked."""
    hold_balance = connection.scalar(select(LedgerAccount.balance_fen)
                                     .where(LedgerAccount.account_id == HOLD_ACCOUNT_ID))
    held = held_total(connection)
    if (hold_balance or 0) != held:
        report.breaches.append(f"暂挂户余额与未到账转账不符 hold account balance {hold_balance or 0} != "
                               f"sum of held transfers {held}")
    settled: dict[str, set[str]] = {"release": set(), "revoke": set()}
    for (key,) in connection.execute(select(JournalEntry.idempotency_key).where(
            JournalEntry.kind.in_((ENTRY_RELEASE, ENTRY_REVOCATION)))):
        what, _, hold_id = key.partition(":")
        settled.setdefault(what, set()).add(hold_id)
    _name_breaches(report, "延时转账既到账又撤销 a held transfer both released and revoked, or settled without its "
                   "entry", [f"hold {hold_id}" for hold_id in sorted(settled["release"] & settled["revoke"])] + [
        f"hold {row.id}" for row in connection.execute(
            select(Hold.id).where(Hold.status != HOLD_HELD, Hold.final_entry_id.is_(None)))
    ])


def summary_lines(report: LedgerReport) -> list[str]:
    return [
        f"账户 accounts: {report.accounts}（客户 customer: {report.customer_accounts}）",
        f"记账凭证 journal entries: {report.entries}",
        f"分录 postings: {report.postings}",
        f"余额合计 sum of balances: {report.total_balance_fen} 分 fen",
        f"分录合计 sum of postings: {report.total_postings_fen} 分 fen",
    ]
