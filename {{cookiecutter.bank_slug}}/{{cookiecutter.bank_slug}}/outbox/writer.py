"""Writing a notice: the row a feature adds in the same transaction (or session commit) as its business change,
so the notice exists exactly when the change does. Delivery is the dispatcher's, later."""

from datetime import datetime

from sqlalchemy.orm import Session

from .models import PENDING, Notice


def notice_row(topic: str, *, source: str, source_txn_id: str, account_id: str, kind: str, amount_fen: int,
               occurred_at: datetime, openid: str | None = None, counterparty: str = "", memo: str = "",
               payload: str | None = None, balance_after_fen: int | None = None) -> dict:
    """The column values of a pending notice (masked data only); (source, source_txn_id) is unique."""
    return {
        "topic": topic, "source": source, "source_txn_id": source_txn_id, "request_hash": "",
        "account_id": account_id, "kind": kind, "amount_fen": amount_fen, "balance_after_fen": balance_after_fen,
        "occurred_at": occurred_at, "counterparty": counterparty, "memo": memo, "openid": openid,
        "payload": payload, "state": PENDING, "attempts": 0, "next_attempt_at": occurred_at,
        "created_at": occurred_at,
    }


def add_notice(session: Session, row: dict) -> Notice:
    """Add the notice to the session: it is stored by the caller's commit, or rolled back with it."""
    notice = Notice(**row)
    session.add(notice)
    return notice
