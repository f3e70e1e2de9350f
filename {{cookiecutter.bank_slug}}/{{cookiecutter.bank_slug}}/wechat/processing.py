"""Runs a message through the router within WeChat's 5-second budget, exactly once.

The handler runs on a worker thread. If it answers within the budget the reply goes back in the
HTTP response. If not, WeChat is told "success" (so it does not retry), and the reply is sent
later as a customer-service message when the handler finishes: the customer still gets it.
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
from . import dedup, window
from .inbound import dedup_key
from .reply_xml import render_reply
from .router import Router

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
        self.executor = ThreadPoolExecutor(
            max_workers=app.config["WECHAT_HANDLER_THREADS"], thread_name_prefix="wechat-handler"
        )

    @property
    def budget(self) -> float:
        return self.app.config["WECHAT_REPLY_BUDGET_SECONDS"]

    def process(self, message: BaseMessage) -> str | None:
        """Plain reply XML, or None when WeChat should just get "success"."""
        deadline = time.monotonic() + self.budget
        key = dedup_key(message)
        claim = dedup.claim(key, message)
        if not claim.owned:
            log.info("retry of %s from %s: answering from the first request", key[:20], message.source)
            return dedup.wait_for_reply(key, claim, deadline)
        window.record_if_opening(db.engine, message)  # the 48-hour customer-service window (wechat/window.py)
        ticket = _Ticket()
        future = self.executor.submit(self._run, claim.row_id, message, ticket)
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

    def _run(self, row_id: int, message: BaseMessage, ticket: _Ticket) -> str:
        with self.app.app_context():
            try:
                reply = self.router.dispatch(message)
                reply_xml, status = (render_reply(reply) if reply else ""), "replied"
            except Exception:
                log.exception("handler failed for a %s message", message.type)
                db.session.rollback()  # a database error leaves the session unusable until rolled back
                text = ERROR_TEXT.format(hotline=self.app.config["SERVICE_HOTLINE"])
                reply_xml, status = TextReply(message=message, content=text).render(), "failed"
            with ticket.lock:
                ticket.done, ticket.reply_xml = True, reply_xml
                late = ticket.late
            try:
                dedup.finish(row_id, "late" if late else status, reply_xml)
            except Exception:  # the reply still goes out; a retry then gets "success"
                log.exception("could not store the reply of a %s message", message.type)
            if late and reply_xml:
                try:
                    self.late_delivery(message.source, reply_xml)
                except Exception:
                    log.exception("late delivery of a reply failed")
            return reply_xml
