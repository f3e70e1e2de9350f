"""Key rotation and key status of the encryption at rest (shared/fieldcrypt.py), over every EncryptedText column of
the metadata (so the columns other features add are covered as soon as they use the type).

Rotation walks each column in primary-key order in batches, each batch its own commit: a value under an older KEK
gets its DEK re-wrapped by the current KEK (the data is not re-encrypted), a value still in clear text (written
before its column was encrypted) is encrypted. Values already under the current KEK are skipped, so an interrupted
run (killed, a database error) leaves every value readable under one of the configured keys, and running it again
continues where it stopped."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, column, select
from sqlalchemy import table as plain_table
from sqlalchemy.types import Text

from ...extensions import db
from ...shared import fieldcrypt


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    pk: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"


def encrypted_columns() -> list[EncryptedColumn]:
    found = []
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for col in table.c:
            if isinstance(col.type, fieldcrypt.EncryptedText) and len(keys) == 1:
                found.append(EncryptedColumn(table.name, keys[0].name, col.name))
    return found


def _raw(target: EncryptedColumn) -> Table:
    """The table with the column as plain text: the ciphertexts as stored."""
    return plain_table(target.table, column(target.pk), column(target.name, Text()))


def key_status() -> dict[str, Counter]:
    """Per column: how many values each KEK id wraps, and "clear" for values not encrypted yet."""
    status = {}
    for target in encrypted_columns():
        raw = _raw(target)
        counts: Counter = Counter()
        values = db.session.execute(select(raw.c[target.name]).where(raw.c[target.name].is_not(None),
                                                                     raw.c[target.name] != ""))
        for (value,) in values:
            counts[fieldcrypt.key_id_of(value) or "clear"] += 1
        status[target.label] = counts
    db.session.rollback()
    return status


def rotate(batch_size: int = 500, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Bring every value under the current KEK; returns how many values changed per column."""
    keyring = fieldcrypt.current()
    prefix = f"{fieldcrypt.PREFIX}{fieldcrypt.SEPARATOR}{keyring.current}{fieldcrypt.SEPARATOR}"
    changed = {}
    for target in encrypted_columns():
        raw = _raw(target)
        value_col, pk_col = raw.c[target.name], raw.c[target.pk]
        pending = (value_col.is_not(None), value_col != "", ~value_col.startswith(prefix, autoescape=True))
        done, last = 0, None
        while True:
            query = select(pk_col, value_col).where(*pending).order_by(pk_col).limit(batch_size)
            if last is not None:
                query = query.where(pk_col > last)
            rows = db.session.execute(query).all()
            if not rows:
                break
            for key, value in rows:
                new = keyring.rewrap(value) if fieldcrypt.is_token(value) else keyring.encrypt(value)
                db.session.execute(raw.update().where(pk_col == key, value_col == value).values({target.name: new}))
                last = key
            db.session.commit()  # one batch at a time: an interruption keeps what was done
            done += len(rows)
            if progress:
                progress(target.label, done)
        if done:
            changed[target.label] = done
    return changed
