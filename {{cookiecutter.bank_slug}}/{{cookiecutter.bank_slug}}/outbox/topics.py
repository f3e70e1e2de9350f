"""The registry of notice topics: what the dispatcher needs to know of each kind of notice, without
knowing the feature that writes it (features register their topics at install time, Feature.setup).

A topic resolves the recipients of a batch of claimed rows in one go (so the hot path stays a few
queries per batch, never a query per row), and renders a row as a template message and as plain text
(the SMS, and the customer-service message when no template is configured). A row whose topic nobody
registered ends undeliverable (`unknown_topic`), it never stops the dispatcher.

A topic with `run` is a scheduled task, not a message: the dispatcher calls `run(row)` (in an app context) when
the row comes due, records it delivered when it returns and retries it later when it raises; it never expires
and never goes to WeChat (the transfers feature's releases of 普通/次日到账 transfers are such rows, written due at
the release time).
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to and what the customer allows: following the account, an SMS phone and opt-in."""

    openid: str
    card_mask: str = ""
    following: bool = True
    sms_phone: str | None = None
    sms_opted_in: bool = False
    refused: str | None = None  # the customer's own rules say no (models.REASON_*: alerts off, below minimum)
    channel: str = "wechat"  # the channel the customer chose for this card: wechat | app | sms (models.CHANNEL_*)

    @property
    def sms_possible(self) -> bool:
        return self.sms_opted_in and bool(self.sms_phone)


# row id -> the recipient, or the reason (models.REASON_*) the notice goes to nobody
Resolved = Mapping[int, Recipient | str]


@dataclass(frozen=True)
class Topic:
    name: str
    resolve: Callable[[Connection, list[Row], Mapping], Resolved]  # (connection, claimed rows, config)
    template_id: Callable[[Mapping], str]  # config -> the template's id; "" = no template message
    template_payload: Callable[[Row, Recipient, Mapping], dict]  # POST message/template/send's body
    text: Callable[[Row, Recipient, Mapping], str]  # the SMS / customer-service text
    # True: a customer-service message while the customer's window has room, the template only outside it
    # (a staff member's reply in a conversation: the text itself when WeChat allows, else "a reply is waiting")
    prefer_window: bool = False
    run: Callable[[Row], None] | None = None  # a scheduled task instead of a message (see above)


_TOPICS: dict[str, Topic] = {}


def register(topic: Topic) -> None:
    """Register (or replace, when an app is built again) a topic by its name."""
    _TOPICS[topic.name] = topic


def topic_named(name: str) -> Topic | None:
    return _TOPICS.get(name)


def payload_of(row: Row) -> dict[str, Any]:
    """A claimed row's JSON payload as a dict ({} when it has none or it is unreadable)."""
    try:
        value = json.loads(row.payload) if row.payload else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
