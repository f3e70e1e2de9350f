"""Branches and customers of the bank, as the simulated core (the built-in ledger) knows them."""

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..shared.fieldcrypt import EncryptedText, lookup_hash
from ..shared.masking import mask_id_number, mask_name, mask_phone
from ..shared.timeutil import utcnow


class Branch(db.Model):
    """A branch (网点): customers and branch operators belong to one. Head office keeps them with
    `flask branches ...` or the admin panel (features/branches); a closed branch keeps its row (customers,
    staff and the audit log name it) and is no longer listed to customers. Coordinates are GCJ-02 degrees,
    the system WeChat's location messages and Chinese maps use."""

    __tablename__ = "bank_branch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # 网点 (a staffed branch), 自助银行 (self-service area) or ATM: the branch finder lists all three
    kind: Mapped[str] = mapped_column(String(16), default="branch", server_default="branch")
    services: Mapped[str | None] = mapped_column(String(200))  # e.g. 个人业务、对公业务、外币兑换

    # the branch finder's bounding-box query (features/info/finder.py) reads this index, never the whole table
    __table_args__ = (Index("ix_bank_branch_location", "latitude", "longitude"),)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    customers: Mapped[list["Customer"]] = relationship(back_populates="branch")


class Customer(db.Model):
    """A customer of the bank as the core knows them (name, ID number, phone), all three encrypted at rest
    (shared/fieldcrypt.py); a customer is found by ID number through `id_number_hash` (`id_number_key`)."""

    __tablename__ = "bank_customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedText())
    id_number: Mapped[str] = mapped_column(EncryptedText())
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)  # set with id_number
    phone: Mapped[str] = mapped_column(EncryptedText())
    branch_id: Mapped[int] = mapped_column(ForeignKey("bank_branch.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(back_populates="customers")

    @validates("id_number")
    def _hash_id_number(self, _key, value: str) -> str:
        self.id_number_hash = id_number_key(value)
        return value

    def __repr__(self) -> str:  # never leaks PII into logs or tracebacks
        return (f"<Customer {self.id} {mask_name(self.name)} {mask_id_number(self.id_number)} "
                f"{mask_phone(self.phone)}>")


def id_number_key(id_number: str) -> str:
    """The lookup hash of a resident ID number (upper-case, no spaces)."""
    return lookup_hash("id_number", "".join((id_number or "").split()).upper())
