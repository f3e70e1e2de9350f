"""`flask alerts import FILE`: the core's end-of-day file of transactions into the outbox.

The file is CSV with a header row naming the columns (any order; extra columns are ignored):
transaction_id, account_id, amount_fen, balance_after_fen, occurred_at, kind, and optionally
counterparty_name and memo — the same fields and rules as the API (items.py), so a
transaction already pushed through the API is a duplicate here, not a second alert.

Lines are stored in chunks, each chunk in one transaction; every line ends stored, skipped
(duplicate) or refused with its line number and reason. Importing the same file again stores
nothing new, so a failed or interrupted import is simply run again.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ...db import write_transaction
from ...shared.timeutil import utcnow
from .ingest import DUPLICATE, REFUSED, STORED, store_core_transactions
from .items import REQUIRED

CHUNK = 1000
INT_FIELDS = ("amount_fen", "balance_after_fen")


class CsvFileError(ValueError):
    """The file as a whole cannot be read (encoding, header); nothing was stored."""


@dataclass
class ImportSummary:
    lines: int = 0
    stored: int = 0
    skipped: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def _as_item(row: dict[str, str]) -> dict:
    item: dict = {key: (value.strip() if isinstance(value, str) else value) for key, value in row.items() if key}
    for name in INT_FIELDS:
        raw = item.get(name)
        if isinstance(raw, str) and raw.lstrip("-").isdigit():
            item[name] = int(raw)  # anything else stays text and is refused as "must be a whole number"
    return item


def read_rows(stream: io.TextIOBase) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(stream)
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise CsvFileError(f"header row lacks column(s): {', '.join(missing)} (expected {', '.join(REQUIRED)}, "
                           "counterparty_name, memo)")
    reader.fieldnames = header
    for row in reader:
        if None in row:  # more cells than header columns
            yield reader.line_num, {"__error__": "more cells than header columns"}
            continue
        yield reader.line_num, _as_item(row)


def import_csv(engine: Engine, path: str, *, ledger: bool, encoding: str = "utf-8-sig",
               progress: Callable[[ImportSummary], None] | None = None) -> ImportSummary:
    summary = ImportSummary()
    try:
        with open(path, encoding=encoding, newline="") as stream:
            chunk: list[tuple[int, object]] = []
            for line, item in read_rows(stream):
                summary.lines += 1
                if "__error__" in item:
                    summary.refused.append((line, item["__error__"]))
                    continue
                chunk.append((line, item))
                if len(chunk) >= CHUNK:
                    _store(engine, chunk, ledger, summary)
                    chunk = []
                    if progress:
                        progress(summary)
            _store(engine, chunk, ledger, summary)
    except UnicodeDecodeError as exc:
        raise CsvFileError(f"the file is not {encoding} text (byte {exc.start}); try --encoding gb18030") from None
    except csv.Error as exc:
        raise CsvFileError(f"not a readable CSV file: {exc}") from None
    if progress:
        progress(summary)
    return summary


def _store(engine: Engine, chunk: list[tuple[int, object]], ledger: bool, summary: ImportSummary) -> None:
    if not chunk:
        return
    results = write_transaction(engine, lambda connection: store_core_transactions(connection, chunk, utcnow(), ledger))
    for result in results:
        if result.status == STORED:
            summary.stored += 1
        elif result.status == DUPLICATE:
            summary.skipped += 1
        elif result.status == REFUSED:
            summary.refused.append((result.index, result.reason))
