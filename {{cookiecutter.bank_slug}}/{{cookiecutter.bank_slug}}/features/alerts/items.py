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
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999  # a transaction outside these is a core's bug, not a date to store
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


class HugeNumber(str):
    """A JSON integer of more digits than any amount (json.loads would refuse the whole body)."""


def parse_json_int(text: str):
    """json.loads(parse_int=...): an integer too long for an amount stays refusable per item."""
    return HugeNumber(text) if len(text.lstrip("-")) > 30 else int(text)


_BATCH_START = re.compile(r'\s*\{\s*"transactions"\s*:\s*\[')


class TooDeep(dict):
    """Stands for an item nested too deeply to parse (json.loads would fail on the whole body)."""


def split_batch(text: str) -> list | None:
    """The items of `{"transactions": [...]}` parsed one by one, for a body the JSON parser cannot take
    whole because one item nests too deeply: that item becomes a TooDeep, refused alone. None when the body
    is not that shape (then the request is refused whole)."""
    start = _BATCH_START.match(text)
    if not start:
        return None
    items, depth, in_string, escaped, item_start = [], 0, False, False, None
    position = start.end()
    for position in range(start.end(), len(text)):
        ch = text[position]
        if in_string:
            escaped, in_string = (False, True) if escaped else (ch == "\\", ch != '"')
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            if depth == 0:
                item_start = position
            depth += 1
        elif ch in "]}":
            if depth == 0:
                break  # the end of the transactions array
            depth -= 1
            if depth == 0:
                items.append(_parse_one(text[item_start:position + 1]))
        elif depth == 0 and not ch.isspace() and ch != ",":
            return None  # a bare value where an object belongs
    else:
        return None
    if not re.fullmatch(r"\]\s*\}\s*", text[position:]):
        return None
    return items


def _parse_one(text: str):
    try:
        return json.loads(text, parse_int=parse_json_int)
    except RecursionError:
        return TooDeep()
    except ValueError:
        return None  # refused as "each transaction must be a JSON object"


def _whole_number(value, name: str) -> int:
    if isinstance(value, HugeNumber):
        raise ItemError(f"{name} is out of range")
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
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") is valid JSON but no text a database stores
        raise ItemError(f"{name} must be valid Unicode text (no lone surrogates)") from None
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
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:  # year 1 or 9999 cannot even be moved to UTC
        raise ItemError(f"occurred_at must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def parse_item(item, now: datetime) -> CoreTransaction:
    """Check one item (a JSON object, or a CSV row turned into one). Unknown fields are ignored."""
    if isinstance(item, TooDeep):
        raise ItemError("the transaction is nested too deeply to read; items are flat objects")
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
