"""Runs a message through the router within WeChat's 5-second budget, exactly once.

The message is claimed first (wechat/dedup.py): a retry of it, in any worker, gets the stored reply. Then
the handler runs on the request thread, against a deadline: if it answers within the budget the reply goes
back in the HTTP response; if it overran, WeChat is told "success", the reply is sent as a customer-service
message, and the handler is known to be slow from then on. A handler known to be slow (registered with
`slow=True`, or one that overran) runs on a handler thread instead: when it has not answered by the
deadline, WeChat is told "success" (so it does not retry) and the reply follows as a customer-service
message when the handler finishes: the customer still gets it.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, TimeoutError
from dataclasses import dataclass, field

from flask import Flask
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply

from ..extensions import db
from ..shared.i18n import _l
from . import dedup
from .inbound import dedup_key
from .reply_xml import render_reply
from .router import Handler, Router

log = logging.getLogger(__name__)

ERROR_TEXT = _l("抱歉，系统繁忙，请稍后再试。如需帮助请致电客服热线 {hotline}。")


@dataclass
class _Ticket:
    """Hand-over between the request thread and the handler thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    late: bool = False
    reply_xml: str | None = None


class MessageProcessor:
    def __init__(self, app: Flask, router: Router, late_delivery) -> None:
        self.app = app
        self.router = router
        self.late_delivery = late_delivery  # callable(openid, reply_xml)
        self.executor = ThreadPoolExecutor(  # starts no thread until a slow handler runs
            max_workers=app.config["WECHAT_HANDLER_THREADS"], thread_name_prefix="wechat-handler"
        )
        self._store = None
        self._store_lock = threading.Lock()

    @property
    def budget(self) -> float:
        return self.app.config["WECHAT_REPLY_BUDGET_SECONDS"]

    @property
    def store(self):
        """The de-dup store (Redis or the database), made on first use: once per process."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    self._store = dedup.make_store(self.app)
        return self._store

    def process(self, message: BaseMessage) -> str | None:
        """Plain reply XML, or None when WeChat should just get "success"."""
        deadline = time.monotonic() + self.budget
        key = dedup_key(message)
        store = self.store
        claim = store.claim(key, message)  # also opens the 48-hour customer-service window (wechat/window.py)
        if not claim.owned:
            if log.isEnabledFor(logging.INFO):
                log.info("retry of %s from %s: answering from the first request", key[:20], message.source)
            return dedup.wait_for_reply(store, key, claim, deadline)
        handler = self.router.resolve(message)
        if handler is not None and self.router.is_slow(handler):
            return self._hand_over(claim, message, handler, deadline)
        reply_xml, status = self._call(message, handler)
        late = time.monotonic() > deadline
        if late and handler is not None:
            self.router.mark_slow(handler)
            log.warning("handler for %s overran %.1fs on the request thread; the reply follows as a "
                        "customer-service message, and the handler runs on a handler thread from now on",
                        message.type, self.budget)
        self._finish(claim, message, "late" if late else status, reply_xml, late)
        return None if late else reply_xml or None

    def _call(self, message: BaseMessage, handler: Handler | None) -> tuple[str, str]:
        """The handler's reply XML and the status to store; a failure becomes the polite error text."""
        try:
            reply = self.router.run(handler, message)
            return (render_reply(reply) if reply else ""), "replied"
        except Exception:
            log.exception("handler failed for a %s message", message.type)
            db.session.rollback()  # a database error leaves the session unusable until rolled back
            text = ERROR_TEXT.format(hotline=self.app.config["SERVICE_HOTLINE"])
            return TextReply(message=message, content=text).render(), "failed"

    def _finish(self, claim: dedup.Claim, message: BaseMessage, status: str, reply_xml: str, late: bool) -> None:
        try:
            self.store.finish(claim, status, reply_xml)
        except Exception:  # the reply still goes out; a retry then gets "success"
            log.exception("could not store the reply of a %s message", message.type)
        if late and reply_xml:
            try:
                self.late_delivery(message.source, reply_xml)
            except Exception:
                log.exception("late delivery of a reply failed")

    def _hand_over(self, claim: dedup.Claim, message: BaseMessage, handler: Handler, deadline: float):
        ticket = _Ticket()
        future = self.executor.submit(self._run, claim, message, handler, ticket)
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic())) or None
        except TimeoutError:
            with ticket.lock:
                if ticket.done:
                    return ticket.reply_xml or None
                ticket.late = True
            log.warning("handler for %s exceeded %.1fs; the reply will follow as a customer-service message",
                        message.type, self.budget)
            return None

    def _run(self, claim: dedup.Claim, message: BaseMessage, handler: Handler, ticket: _Ticket) -> str:
        with self.app.app_context():
            reply_xml, status = self._call(message, handler)
            with ticket.lock:
                ticket.done, ticket.reply_xml = True, reply_xml
                late = ticket.late
            self._finish(claim, message, "late" if late else status, reply_xml, late)
            return reply_xml
