"""Helpers for the alert tests: bound accounts, signed pushes, transfers through the ledger."""

import json
import time
import uuid

from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.core_banking.http.wire import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from {{ cookiecutter.bank_slug }}.core_banking.ledger.core import LedgerCore
from {{ cookiecutter.bank_slug }}.core_banking.port import TransferRequest
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.alerts.models import Alert
from {{ cookiecutter.bank_slug }}.features.binding.models import CardBinding

PUSH_PATH = "/api/core/v1/transactions"


def bind(app, openid: str, account_id: str, card_mask: str = "6228 **** **** 0018", following: bool = True,
         sms_phone: str | None = None) -> None:
    with app.app_context():
        db.session.add(CardBinding(openid=openid, account_id=account_id, card_mask=card_mask, status="active",
                                   alerts_suspended=not following, sms_phone=sms_phone))
        db.session.commit()


def transfer(app, payer, payee, amount_fen: int, memo: str = ""):
    with app.app_context():
        return LedgerCore(db.engine).transfer(TransferRequest(
            idempotency_key=uuid.uuid4().hex, from_account_id=payer.account_id, to_account_number=payee.card_number,
            to_name=payee.customer.name, amount_fen=amount_fen, memo=memo))


def alerts(app, **where) -> list[Alert]:
    with app.app_context():
        query = select(Alert).order_by(Alert.id)
        for name, value in where.items():
            query = query.where(getattr(Alert, name) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def item(transaction_id: str, account_id: str, amount_fen: int = -12_345, **extra) -> dict:
    return {"transaction_id": transaction_id, "account_id": account_id, "amount_fen": amount_fen,
            "balance_after_fen": 1_000_000, "occurred_at": "2026-11-23T09:30:00+08:00", "kind": "purchase",
            "counterparty_name": "青山超市", "memo": "", **extra}


def signed_headers(app, body: bytes, timestamp: int | None = None, secret: str | None = None,
                   path: str = PUSH_PATH) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    key = app.config["CORE_API_SECRET"] if secret is None else secret
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(key, stamp, "POST", path, body),
            "Content-Type": "application/json"}


def push(client, app, payload, **signing):
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return client.post(PUSH_PATH, data=body, headers=signed_headers(app, body, **signing))
