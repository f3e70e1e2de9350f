"""The dispatcher: claims due notices of every topic, resolves their recipients through the topic (one
call per topic and batch), picks one channel by rule (channels.py), sends template and customer-service
messages concurrently (an asyncio loop with keep-alive connections, delivery.TemplateSender), falls back
to SMS where the customer opted in, and records every outcome. `flask alerts run` keeps going;
`flask alerts drain` stops when nothing is left to do now.

The main thread claims, decides and records (the database); the send loop's thread only talks to
WeChat. Up to `2 x concurrency` alerts are in flight: claiming the next batch and recording
finished ones (in bulk) happen while the HTTP calls of the previous ones are still out. A batch is
handed to the loop in one go, where `concurrency` worker coroutines take one alert after another
(wechat/client/aio.py `feed`). While sends are out, the main thread claims again only when at least
`min_claim` places are free, and records what finished with that claim, so the database sees a
few large statements rather than many small ones; per batch, not per alert, are also the topic's
template setting, the recipients (topic.resolve) and the metrics. A killed dispatcher leaves at
most those in flight `sending`; another (or its restart) claims them again when their lease ends,
so duplicates are limited to that batch.
"""

import logging
import os
import queue
import random
import secrets
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import Row

from ..extensions import db
from ..shared.masking import mask_openid
from ..shared.timeutil import utcnow
from ..sms import SmsError, get_sms_sender
from ..wechat.client import api_base_url, make_client
from ..wechat.template_rules import fit_payload
from ..wechat.token_store import token_store
from ..wechat.window import close_window, use_window, window_room
from . import app_push, channels, claims
from .delivery import (
    CUSTOM_SEND_PATH,
    NO_WECHAT,
    OUT_OF_COUNT,
    PAUSE,
    RETRY,
    SENT,
    TEMPLATE_SEND_PATH,
    WINDOW_CLOSED,
    CachedTokenStore,
    TemplateSender,
)
from .metrics import record_finals, record_retry
from .models import (
    CHANNEL_APP,
    CHANNEL_CUSTOMER_SERVICE,
    CHANNEL_SMS,
    CHANNEL_WECHAT,
    DELIVERED,
    EXPIRED,
    FINAL_STATES,
    PENDING,
    REASON_APP_FAILED,
    REASON_NOT_BOUND,
    REASON_NOT_FOLLOWING,
    REASON_REJECTED,
    REASON_RETRIES_EXHAUSTED,
    REASON_TEMPLATE_UNFIT,
    REASON_UNKNOWN_TOPIC,
    REASON_WINDOW_CLOSED,
    SMS,
    UNDELIVERABLE,
)
from .topics import Recipient, Topic, topic_named

log = logging.getLogger(__name__)



@dataclass(slots=True)  # one per notice sent (not frozen: cheaper to build); never changed after _decide
class Job:
    row: Row  # claims.CLAIMED_COLUMNS
    topic: Topic
    target: Recipient
    channel: str  # channels: wechat (template) | kefu (customer service) | sms
    payload: dict | None = None  # the template message, its values checked against WeChat's rules
    note: str | None = None  # why the template was not used (a value WeChat would refuse): kept as last_error


def client_msg_id(row_id: int) -> str:
    """message/template/send's client_msg_id: WeChat sends one message per openid and id within 10 minutes,
    so a notice resent after a lost answer (a lease ran out, a timeout) is not delivered twice."""
    return f"notice-{row_id}"


def dispatcher_name() -> str:
    return f"{socket.gethostname()[:12]}-{os.getpid()}-{secrets.token_hex(3)}"[:32]


class Dispatcher:
    def __init__(self, app: Flask, *, concurrency: int | None = None, batch_size: int | None = None,
                 owner: str | None = None, clock=utcnow, sleep=time.sleep) -> None:
        config = app.config
        self.app = app
        self.config = config
        self.owner = owner or dispatcher_name()
        self.concurrency = concurrency or config["ALERT_CONCURRENT_SENDS"]
        self.batch_size = batch_size or config["ALERT_BATCH_SIZE"]
        self.max_in_flight = 2 * self.concurrency
        # while sends are out, claim only when this many places are free (and record what finished meanwhile)
        self.min_claim = max(1, min(self.batch_size, self.max_in_flight) // 2)
        self.clock = clock
        self.sleep = sleep
        with app.app_context():
            self.engine = db.engine
            self.tokens = CachedTokenStore(token_store(app))
        self.in_flight = 0  # alerts handed to the send loop whose outcome has not come back yet
        self.done: queue.SimpleQueue = queue.SimpleQueue()  # outcomes (claims.Update), put by the send loop
        self.finished: list[claims.Update] = []  # outcomes taken from `done`, to record
        self.created: dict[int, datetime | None] = {}  # claimed notice -> created_at, for the lag metric
        self.paused_until: datetime | None = None
        self.counts: Counter = Counter()
        token_client = make_client(config, store=self.tokens)  # fetches tokens (wechatpy), under the store's lock
        self.sender = TemplateSender(api_base_url(config), self.tokens, token_client.request_new_token,
                                     config["ALERT_SEND_TIMEOUT_SECONDS"], self.concurrency)
        self.max_age = timedelta(minutes=config["ALERT_MAX_AGE_MINUTES"])
        self.app_push = app_push.AppPushClient(config) if app_push.configured(config) else None
        self.app_attempts = int(config.get("APP_PUSH_MAX_ATTEMPTS", 3))

    # --- loops ---------------------------------------------------------------------------------

    def drain(self, wait_seconds: float = 0.0) -> Counter:
        """Deliver everything due now (and retries that come due within `wait_seconds`), then return."""
        while True:
            claimed = self.step()
            if claimed or self.in_flight or self.finished:
                continue
            upcoming = claims.next_due(self.engine)
            now = self.clock()
            if upcoming is None or (upcoming - now).total_seconds() > wait_seconds:
                return self.counts
            self.sleep(min(1.0, max(0.01, (upcoming - now).total_seconds())))

    def run(self, stop: threading.Event, poll_seconds: float | None = None) -> Counter:
        """Until `stop` is set: deliver what is due, wait a little when there is nothing."""
        poll = poll_seconds if poll_seconds is not None else self.config["ALERT_POLL_SECONDS"]
        last_report = time.monotonic()
        while not stop.is_set():
            if not self.step() and not self.in_flight and not self.finished:
                stop.wait(poll)
            if time.monotonic() - last_report >= 60:
                log.info("alerts dispatcher %s: %s", self.owner, dict(self.counts))
                last_report = time.monotonic()
        self.finish_in_flight()
        return self.counts

    def close(self) -> None:
        self.finish_in_flight()
        self.sender.close()

    def finish_in_flight(self) -> None:
        self._collect()
        while self.in_flight:
            self._wait_some(timeout=1.0)
        self._record_finished()

    # --- one step: record, claim, decide, send -------------------------------------------------

    def step(self) -> int:
        """Record finished sends, then claim and start what fits in flight. Returns how many were claimed."""
        self._collect()
        now = self.clock()
        if self.paused_until is not None and now < self.paused_until:
            self._record_finished()
            self._wait_some(timeout=0.05) if self.in_flight else self.sleep(0.05)
            return 0
        room = min(self.batch_size, self.max_in_flight - self.in_flight)
        if self.in_flight and room < self.min_claim:  # the loop has work: wait for more places to claim at once
            if not self._wait_some(timeout=0.05) and self.finished:  # nothing came back for a while
                self._record_finished()
            return 0
        self._record_finished()
        rows = claims.claim(self.engine, self.owner, room, now, self.config["ALERT_LEASE_SECONDS"])
        if not rows:
            if self.in_flight:  # nothing due now: let the outcomes of a while gather, then record them at once
                self._gather(timeout=0.05)
            return 0
        rows.sort(key=lambda row: row.id)  # PostgreSQL's RETURNING has no order: the oldest notice decides first
        created = self.created
        messages, tasks = [], []
        for row in rows:
            created[row.id] = row.created_at
            topic = topic_named(row.topic)
            (tasks if topic is not None and topic.run is not None else messages).append(row)
        decided = self._run_tasks(tasks) if tasks else []
        targets, windows = self._targets(messages, now)
        jobs = []
        for row in messages:
            job_or_update = self._decide(row, targets.get(row.id), windows, now)
            if isinstance(job_or_update, Job):
                jobs.append(job_or_update)
            else:
                decided.append(job_or_update)
        if jobs:  # the whole batch in one hand-over to the send loop
            self.in_flight += len(jobs)
            self.sender.feed(jobs, self._deliver, self.done.put)
        self._record(decided)
        return len(messages)

    @staticmethod
    def _task_of(row: Row):
        topic = topic_named(row.topic)
        return topic.run if topic is not None else None

    def _run_tasks(self, rows: list[Row]) -> list[claims.Update]:
        """Scheduled tasks (topics with `run`): done -> delivered; raised -> again later, with backoff."""
        updates = []
        for row in rows:
            try:
                with self.app.app_context():
                    self._task_of(row)(row)
            except Exception as exc:  # noqa: BLE001 - a task that fails is tried again, the others go on
                log.warning("scheduled task %s (%s) failed: %s; retrying later", row.id, row.topic[:32],
                            type(exc).__name__)
                updates.append(claims.Update(row.id, PENDING, self.clock() + timedelta(
                    seconds=self.backoff(row.attempts + 1)), tries=1, openid=row.openid,
                    last_error=type(exc).__name__))
            else:
                now = self.clock()
                updates.append(claims.Update(row.id, DELIVERED, now, openid=row.openid, finished_at=now))
        return updates

    def _collect(self) -> None:
        """Take the outcomes the send loop has put so far (_deliver answers one per alert, never raises)."""
        done, finished = self.done, self.finished
        while True:
            try:
                finished.append(done.get_nowait())
            except queue.Empty:
                break
            self.in_flight -= 1

    def _wait_some(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a send to finish, then take what came; False when none did."""
        try:
            self.finished.append(self.done.get(timeout=timeout))
        except queue.Empty:
            return False
        self.in_flight -= 1
        self._collect()
        return True

    def _gather(self, timeout: float) -> None:
        """Take the outcomes that come within `timeout` seconds (or until nothing is in flight)."""
        deadline = time.monotonic() + timeout
        while self.in_flight:
            left = deadline - time.monotonic()
            if left <= 0 or not self._wait_some(left):
                return

    def _record_finished(self) -> None:
        updates, self.finished = self.finished, []
        self._record(updates)

    def _record(self, updates: list[claims.Update]) -> None:
        if not updates:
            return
        claims.record(self.engine, self.owner, updates)
        counts, created, finals = self.counts, self.created, []
        for update in updates:
            state = update.state
            counts[state if state != PENDING else "retry_scheduled"] += 1
            created_at = created.pop(update.alert_id, None)
            if state in FINAL_STATES:
                finals.append((state, update.channel, created_at, update.finished_at))
        record_finals(finals)

    def _pause(self) -> None:
        """Called on the send loop; the main thread only reads `paused_until`."""
        until = self.clock() + timedelta(seconds=self.config["ALERT_QUOTA_PAUSE_SECONDS"])
        if self.paused_until is None or self.paused_until < until:
            log.warning("WeChat answered 45009 (API quota reached): alerts paused until %s UTC", f"{until:%H:%M:%S}")
            self.paused_until = until
            self.counts["pauses"] += 1

    # --- deciding ------------------------------------------------------------------------------

    def _targets(self, rows: list[Row], now: datetime) -> tuple[dict, dict[str, int]]:
        """Row id -> (topic, Recipient or a reason, has a template) for the rows of known topics, and how many
        customer-service messages each openid's open windows still take (asked only for topics without a template)."""
        by_topic: dict[str, list[Row]] = {}
        for row in rows:
            by_topic.setdefault(row.topic, []).append(row)
        targets, windowless = {}, set()
        with self.engine.connect() as connection:
            for name, topic_rows in by_topic.items():
                topic = topic_named(name)
                if topic is None:
                    continue
                resolved = topic.resolve(connection, topic_rows, self.config)
                has_template = bool(topic.template_id(self.config))  # once per topic and batch
                for row in topic_rows:
                    target = resolved.get(row.id, REASON_NOT_BOUND)
                    targets[row.id] = (topic, target, has_template)
                    if (not has_template or topic.prefer_window) and isinstance(target, Recipient):
                        windowless.add(target.openid)
            windows = window_room(connection, windowless, now) if windowless else {}
        return targets, windows

    def _decide(self, row: Row, resolved, windows: dict[str, int], now: datetime) -> Job | claims.Update:
        if now - row.occurred_at > self.max_age:
            return claims.Update(row.id, EXPIRED, now, finished_at=now, final_reason="too_old")
        if resolved is None:  # no installed feature registered this topic: say so, keep going
            log.warning("notice %s: unknown topic %r", row.id, row.topic[:32])
            return self._final(row, UNDELIVERABLE, now, REASON_UNKNOWN_TOPIC)
        topic, target, has_template = resolved
        if isinstance(target, str):
            return self._final(row, UNDELIVERABLE, now, target)
        if target.refused:  # the customer's own rules (alerts off, below the minimum)
            return self._final(row, UNDELIVERABLE, now, target.refused, target)
        app_allowed = self.app_push is not None and row.attempts < self.app_attempts
        channel = channels.first_channel(has_template, target, windows.get(target.openid, 0) > 0,
                                         topic.prefer_window, app_allowed=app_allowed)
        if isinstance(channel, tuple):
            return self._final(row, UNDELIVERABLE, now, channel[1], target)
        payload = note = None
        if channel == CHANNEL_WECHAT:
            payload, note = self._template_message(row, topic, target)
            if payload is None:  # a value WeChat would refuse (47003): the next channel, with the reason
                room = windows.get(target.openid)
                if room is None:
                    with self.engine.connect() as connection:
                        room = windows[target.openid] = window_room(connection, {target.openid}, now).get(
                            target.openid, 0)
                channel = channels.first_channel(False, target, room > 0)
                if isinstance(channel, tuple):
                    return self._final(row, UNDELIVERABLE, now, REASON_TEMPLATE_UNFIT, target, last_error=note)
        if channel == CHANNEL_CUSTOMER_SERVICE:  # the batch shares the window's few messages
            windows[target.openid] -= 1
        return Job(row, topic, target, channel, payload, note)

    def _template_message(self, row: Row, topic: Topic, target: Recipient) -> tuple[dict | None, str | None]:
        """The template message with its values fitted to WeChat's rules, or (None, why it cannot be sent)."""
        fitted = fit_payload(topic.template_payload(row, target, self.config))
        if not fitted.ok:
            note = f"template value unfit: {'; '.join(fitted.problems)}"[:200]
            log.warning("notice %s: %s; trying the next channel", row.id, note)
            return None, note
        if fitted.adapted:
            log.info("notice %s: template values shortened to fit WeChat's rules: %s", row.id,
                     ", ".join(fitted.adapted))
        return {**fitted.payload, "client_msg_id": client_msg_id(row.id)}, None

    @staticmethod
    def _final(row: Row, state: str, now: datetime, reason: str | None = None, target: Recipient | None = None,
               **extra) -> claims.Update:
        """A final outcome (counted in the metrics when it is recorded, with the others of its batch)."""
        return claims.Update(row.id, state, now, openid=target.openid if target else row.openid, final_reason=reason,
                             finished_at=now, **extra)

    # --- delivering (coroutines on the send loop) ----------------------------------------------

    async def _deliver(self, job: Job) -> claims.Update:
        try:
            if job.channel == CHANNEL_SMS:
                cause = REASON_NOT_FOLLOWING if not job.target.following else REASON_WINDOW_CLOSED
                return await self.sender.in_thread(self._send_sms, job, 0, cause, job.note)
            if job.channel == CHANNEL_APP:
                return await self._send_app(job)
            return await self._send_wechat(job)
        except Exception as exc:  # a bug must not stall the pipeline: retry later, and say so
            log.exception("notice %s: delivery failed unexpectedly", job.row.id)
            return self._retry(job, tries=1, error=f"internal error: {type(exc).__name__}")

    def _message(self, job: Job) -> tuple[dict, str]:
        """The body and API path of the WeChat message for the job's channel."""
        if job.channel == CHANNEL_CUSTOMER_SERVICE:
            text = job.topic.text(job.row, job.target, self.config)
            return {"touser": job.target.openid, "msgtype": "text", "text": {"content": text}}, CUSTOM_SEND_PATH
        return job.payload, TEMPLATE_SEND_PATH

    async def _send_wechat(self, job: Job) -> claims.Update:
        config = self.config
        payload, path = self._message(job)
        result = await self.sender.send(payload, path)
        now = self.clock()
        if result.outcome == SENT:
            if job.channel == CHANNEL_CUSTOMER_SERVICE:  # one of the window's few messages is used
                await self.sender.in_thread(use_window, self.engine, job.target.openid)
            return self._final(job.row, DELIVERED, now, target=job.target, channel=job.channel,
                               msgid=result.msgid, tries=1, last_error=job.note)
        if result.outcome == NO_WECHAT:
            cause = channels.no_wechat_reason(result.errcode)
            if result.errcode in (WINDOW_CLOSED, OUT_OF_COUNT):  # our record was wrong or late: closed until they act
                await self.sender.in_thread(close_window, self.engine, job.target.openid)
                if job.topic.prefer_window and job.topic.template_id(config):  # the template instead, next round
                    return self._retry(job, tries=1, error=result.error)
            if job.target.sms_possible:  # the SMS gateway is a blocking port: on a worker thread
                return await self.sender.in_thread(self._send_sms, job, 1, cause, result.error)
            return self._final(job.row, UNDELIVERABLE, now, cause, job.target, tries=1, last_error=result.error)
        if result.outcome == PAUSE:  # the whole dispatcher waits; this alert goes out when it resumes
            self._pause()
            resume = now + timedelta(seconds=config["ALERT_QUOTA_PAUSE_SECONDS"])
            return claims.Update(job.row.id, PENDING, resume, tries=0, openid=job.target.openid,
                                 last_error=result.error)
        if result.outcome == RETRY:
            return self._retry(job, tries=1, error=result.error)
        return self._final(job.row, UNDELIVERABLE, now, REASON_REJECTED, job.target, tries=1, last_error=result.error)

    async def _send_app(self, job: Job) -> claims.Update:
        """The app's push platform; retried with the same event id, then the fallback by rule (channels.py)."""
        text = job.topic.text(job.row, job.target, self.config)
        answer = await self.sender.in_thread(self.app_push.push, job.row, job.target.card_mask, text)
        now = self.clock()
        if answer.outcome == app_push.DELIVERED:
            return self._final(job.row, DELIVERED, now, target=job.target, channel=CHANNEL_APP, tries=1)
        if answer.outcome == app_push.RETRY and job.row.attempts + 1 < self.app_attempts:
            return self._retry(job, tries=1, error=answer.error)
        log.info("notice %s: the app could not deliver (%s); falling back", job.row.id, answer.error)
        return await self._fall_back_from_app(job, answer.error)

    async def _fall_back_from_app(self, job: Job, error: str) -> claims.Update:
        """The template message when the topic has one and the customer follows, else SMS where possible."""
        target = Recipient(job.target.openid, job.target.card_mask, job.target.following, job.target.sms_phone,
                           job.target.sms_opted_in or bool(job.target.sms_phone), None)
        channel = channels.first_channel(bool(job.topic.template_id(self.config)), target, False)
        if channel == CHANNEL_WECHAT:
            payload, note = self._template_message(job.row, job.topic, target)
            if payload is not None:
                return await self._send_wechat(Job(job.row, job.topic, target, CHANNEL_WECHAT, payload, error))
            channel = CHANNEL_SMS if target.sms_possible else (None, REASON_APP_FAILED)
        if channel == CHANNEL_SMS:
            return await self.sender.in_thread(self._send_sms, Job(job.row, job.topic, target, CHANNEL_SMS),
                                               1, REASON_APP_FAILED, error)
        return self._final(job.row, UNDELIVERABLE, self.clock(), REASON_APP_FAILED, job.target, tries=1,
                           last_error=error)

    def _send_sms(self, job: Job, tries: int, cause: str, wechat_error: str | None = None) -> claims.Update:
        text = job.topic.text(job.row, job.target, self.config)
        try:
            with self.app.app_context():
                get_sms_sender().send(job.target.sms_phone, text)
        except SmsError as exc:
            return self._retry(job, tries=tries + 1, error=f"SMS: {exc}"[:200])
        log.info("notice %s sent by SMS to %s's phone (%s)", job.row.id, mask_openid(job.target.openid), cause)
        return self._final(job.row, SMS, self.clock(), target=job.target, channel=CHANNEL_SMS, tries=tries + 1,
                           last_error=wechat_error)

    def _retry(self, job: Job, tries: int, error: str) -> claims.Update:
        now = self.clock()
        attempts = job.row.attempts + tries
        if attempts >= self.config["ALERT_MAX_ATTEMPTS"]:
            return self._final(job.row, UNDELIVERABLE, now, REASON_RETRIES_EXHAUSTED, job.target, tries=tries,
                               last_error=error)
        record_retry()
        return claims.Update(job.row.id, PENDING, now + timedelta(seconds=self.backoff(attempts)), tries=tries,
                             openid=job.target.openid, last_error=error)

    def backoff(self, attempts: int) -> float:
        """Exponential with jitter: half the step fixed, half random (so retries of a burst spread out)."""
        step = min(self.config["ALERT_RETRY_MAX_SECONDS"],
                   self.config["ALERT_RETRY_BASE_SECONDS"] * 2 ** max(0, attempts - 1))
        return step / 2 + random.uniform(0, step / 2)
