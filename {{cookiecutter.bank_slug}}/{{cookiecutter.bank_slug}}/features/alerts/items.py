"""One transaction reported by the bank's core (pushed to the API or read from the end-of-day CSV):
the checks it must pass and the alert row it becomes. Both ways in share these rules, so an item
refused by one is refused by the other with the same reason."""

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from ...shared.masking import mask_name, scrub
from .models import KINDS, PENDING, SOURCE_CORE

TRANSACTION_ID = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, as the core's own ids
ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the core contract's account id
MAX_AMOUNT_FEN = 10**15
MAX_COUNTERPARTY = 64
MAX_MEMO = 140
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ a little; a transaction from tomorrow is an error
FIELDS = ("transaction_id", "account_id", "amount_fen", "balance_after_fen", "occurred_at", "kind",
          "counterparty_name", "memo")
REQUIRED = FIELDS[:6]


class ItemError(ValueError):
    """The item cannot be stored; the message says which field and why (English, for the core's team)."""


@dataclass(frozen=True)
class CoreTransaction:
    transaction_id: str
    account_id: str
    amount_fen: int
    balance_after_fen: int
    occurred_at: datetime  # naive UTC
    kind: str
    counterparty_name: str = ""
    memo: str = ""

    def fingerprint(self) -> str:
        """Same id with another content is a conflict, not a duplicate."""
        data = asdict(self)
        data["occurred_at"] = self.occurred_at.isoformat()
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    def alert_row(self, now: datetime) -> dict:
        return {
            "source": SOURCE_CORE, "source_txn_id": self.transaction_id, "request_hash": self.fingerprint(),
            "account_id": self.account_id, "kind": self.kind, "amount_fen": self.amount_fen,
            "balance_after_fen": self.balance_after_fen, "occurred_at": self.occurred_at,
            "counterparty": mask_name(self.counterparty_name)[:MAX_COUNTERPARTY], "memo": scrub(self.memo)[:MAX_MEMO],
            "state": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
        }


def _whole_number(value, name: str) -> int:
    if type(value) is not int:  # bool and float are refused: money is whole fen
        raise ItemError(f"{name} must be a whole number of fen")
    if abs(value) > MAX_AMOUNT_FEN:
        raise ItemError(f"{name} is out of range")
    return value


def _text(value, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or any(ch in value for ch in "\r\n\x00"):
        raise ItemError(f"{name} must be text of at most {limit} characters on one line")
    return value.strip()


def parse_time(value) -> datetime:
    """RFC 3339 with a UTC offset (2026-11-23T14:30:00+08:00 or ...Z) -> naive UTC."""
    if not isinstance(value, str):
        raise ItemError("occurred_at must be an RFC 3339 date-time with a UTC offset")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ItemError("occurred_at must be an RFC 3339 date-time with a UTC offset") from None
    if parsed.tzinfo is None:
        raise ItemError("occurred_at needs a UTC offset (e.g. +08:00)")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def parse_item(item, now: datetime) -> CoreTransaction:
    """Check one item (a JSON object, or a CSV row turned into one). Unknown fields are ignored."""
    if not isinstance(item, dict):
        raise ItemError("each transaction must be a JSON object")
    missing = [name for name in REQUIRED if item.get(name) in (None, "")]
    if missing:
        raise ItemError(f"missing field: {', '.join(missing)}")
    transaction_id, account_id = item["transaction_id"], item["account_id"]
    if not isinstance(transaction_id, str) or not TRANSACTION_ID.fullmatch(transaction_id):
        raise ItemError("transaction_id must be 1-64 printable ASCII characters")
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise ItemError("account_id must be 1-64 letters, digits, '-' or '_'")
    amount = _whole_number(item["amount_fen"], "amount_fen")
    if amount == 0:
        raise ItemError("amount_fen must not be 0")
    balance = _whole_number(item["balance_after_fen"], "balance_after_fen")
    if balance < 0:
        raise ItemError("balance_after_fen must not be negative (overdraft accounts are not supported)")
    occurred_at = parse_time(item["occurred_at"])
    if occurred_at > now + FUTURE_TOLERANCE:
        raise ItemError("occurred_at is in the future")
    kind = item["kind"]
    if kind not in KINDS:
        raise ItemError(f"kind must be one of {', '.join(KINDS)}")
    return CoreTransaction(transaction_id, account_id, amount, balance, occurred_at, kind,
                           _text(item.get("counterparty_name"), "counterparty_name", MAX_COUNTERPARTY),
                           _text(item.get("memo"), "memo", MAX_MEMO))
