"""The mock's memory: one process, every change under one lock (the server is threaded).

`clock` and `sleep` are attributes so tests can move time and skip waits instead of sleeping.
"""

import itertools
import random
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from .errors import WeChatError
from .faults import Faults
from .marketing_state import MarketingState
from .mass_job_state import MassJobs
from .settings import MockSettings
from .stable_tokens import StableTokens
from .template_job_state import TemplateJobs

RECORD_KINDS = ("token", "template", "custom", "mass_send", "mass_preview", "menu_create", "menu_delete", "sms",
                "qrcode", "tag", "tagging", "untag", "draft", "publish")
OPENID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
# WeChat's customer-service windows (客服消息下发额度, since 2023-06-12): seconds and messages
CUSTOMER_SERVICE_WINDOW = 48 * 3600  # after the user's own message ...
MESSAGE_QUOTA = 5  # ... up to 5 客服消息
EVENT_WINDOW = 60  # after a menu click, a follow or a QR scan ...
EVENT_QUOTA = 3  # ... up to 3
BEIJING_OFFSET_SECONDS = 8 * 3600  # WeChat's daily quotas reset at midnight Beijing time
MASS_PER_MONTH = 4  # 服务号: each follower receives at most 4 mass messages a calendar month; more are filtered
CLIENT_MSG_ID_SECONDS = 24 * 3600  # a mass send's clientmsgid may not repeat within 24 hours (45065)


def new_openid() -> str:
    """28 characters, like a real openid of an official account."""
    return "o" + "".join(secrets.choice(OPENID_ALPHABET) for _ in range(27))


@dataclass
class MockUser:
    openid: str
    nickname: str = ""
    subscribed: bool = True
    subscribe_time: int | None = None
    language: str = "zh_CN"
    tags: list[int] = field(default_factory=list)  # user tag ids (用户标签), for mass sends by tag
    last_interaction: int | None = None  # epoch seconds of the last message the mock relayed; None: unknown
    message_used: int = 0  # customer-service messages sent in that 48-hour window
    last_event: int | None = None  # epoch seconds of the last menu click, follow or scan relayed
    event_used: int = 0  # customer-service messages sent in that 1-minute window

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Record:
    """One thing the service sent through the API (a message, a menu change, a token fetch)."""

    id: int
    kind: str
    at: str  # ISO 8601, UTC
    openid: str | None
    payload: dict
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = {"id": self.id, "kind": self.kind, "at": self.at, "payload": self.payload, **self.extra}
        if self.openid is not None:
            data["openid"] = self.openid
        return data


@dataclass
class OAuthCode:
    openid: str
    scope: str
    issued_at: float
    used: bool = False


class MockState:
    def __init__(self, settings: MockSettings, clock=time.time, sleep=time.sleep) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.rng = random.Random(self.settings.seed)
            self.faults = Faults()
            self.faults_injected = 0
            self.api_calls = 0
            self.access_token: str | None = None
            self.token_expires_at = 0.0
            self.tokens_issued = 0
            self._quota_day: int | None = None
            self._tokens_today = 0
            self.users: dict[str, MockUser] = {}
            self.records: deque[Record] = deque(maxlen=self.settings.max_records)
            self._record_ids = itertools.count(1)
            self._msg_ids = itertools.count(int(self.clock()) * 1000)
            self.menu: dict | None = None
            self.codes: dict[str, OAuthCode] = {}
            self.client_msg_ids: dict[str, float] = {}  # clientmsgid -> when it was used
            self.mass_received: dict[tuple[str, str], int] = {}  # (openid, "YYYY-MM" Beijing) -> mass messages
            self.mass_jobs = MassJobs()  # MASSSENDJOBFINISH (mass_jobs.py)
            self.template_jobs = TemplateJobs()  # client_msg_id de-dup, TEMPLATESENDJOBFINISH (template_jobs.py)
            self.stable = StableTokens(lambda: self.clock(), self.settings.token_ttl_seconds)  # /cgi-bin/stable_token
            self.qrcodes: dict = {}  # ticket -> qrcode_views.MockQrCode
            self.marketing = MarketingState()  # user tags, drafts, publishing, article figures (tag_views.py ...)

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")

    def next_msg_id(self) -> int:
        with self.lock:
            return next(self._msg_ids)

    # -- access token -----------------------------------------------------------------------------
    def issue_token(self) -> tuple[str, int]:
        """A new access token; the previous one stops working at once."""
        ttl = self.settings.token_ttl_seconds
        with self.lock:
            day = int(self.clock() + BEIJING_OFFSET_SECONDS) // 86400
            if day != self._quota_day:
                self._quota_day, self._tokens_today = day, 0
            if self._tokens_today >= self.settings.token_daily_quota:
                raise WeChatError(45009)
            self._tokens_today += 1
            self.tokens_issued += 1
            self.access_token = secrets.token_urlsafe(96)
            self.token_expires_at = self.clock() + ttl
            self.record("token", None, {"expires_in": ttl, "access_token_tail": self.access_token[-6:]})
            return self.access_token, ttl

    def check_token(self, token: str | None) -> None:
        if not token:
            raise WeChatError(41001)
        with self.lock:
            if token != self.access_token:
                stable = self.stable.check(token)  # a stable_token one works as well (they are isolated)
                if stable is not None:
                    raise WeChatError(stable)
                return
            if self.clock() >= self.token_expires_at:
                raise WeChatError(42001)

    # -- simulated WeChat users -------------------------------------------------------------------
    def add_user(self, openid: str | None = None, nickname: str = "", subscribed: bool = True,
                 tags: list[int] | None = None) -> MockUser:
        with self.lock:
            openid = openid or new_openid()
            if openid in self.users:
                raise KeyError(openid)
            user = MockUser(openid, nickname, subscribed, int(self.clock()) if subscribed else None,
                            tags=list(tags or []))
            self.users[openid] = user
            return user

    def user(self, openid: str) -> MockUser | None:
        with self.lock:
            return self.users.get(openid)

    def set_subscribed(self, openid: str, subscribed: bool) -> MockUser | None:
        with self.lock:
            user = self.users.get(openid)
            if user is not None:
                user.subscribed = subscribed
                user.subscribe_time = int(self.clock()) if subscribed else None
            return user

    def touch(self, openid: str, kind: str = "message") -> None:
        """The mock pushed the user's message (a 48-hour window, 5 messages) or a menu click, follow or scan
        (`kind="event"`: 1 minute, 3 messages) to the service: that window opens with a fresh count."""
        with self.lock:
            user = self.users.get(openid)
            if user is None:
                return
            if kind == "message":
                user.last_interaction, user.message_used = int(self.clock()), 0
            else:
                user.last_event, user.event_used = int(self.clock()), 0

    def _windows(self, user: MockUser) -> tuple[bool, bool]:
        now = self.clock()
        message = user.last_interaction is not None and now - user.last_interaction <= CUSTOMER_SERVICE_WINDOW
        event = user.last_event is not None and now - user.last_event <= EVENT_WINDOW
        return message, event

    def use_window(self, user: MockUser) -> None:
        """Raise 45015 outside every window, 45047 when the open ones have no messages left; else count
        the message (against the event window while it has room, it expires first). A user the mock never
        relayed anything for is not checked (it cannot know their windows)."""
        with self.lock:
            if user.last_interaction is None and user.last_event is None:
                return
            message, event = self._windows(user)
            if not (message or event):
                raise WeChatError(45015)
            if event and user.event_used < EVENT_QUOTA:
                user.event_used += 1
            elif message and user.message_used < MESSAGE_QUOTA:
                user.message_used += 1
            else:
                raise WeChatError(45047)

    def window_closed(self, user: MockUser) -> bool:
        """True when the mock knows the user's windows and none is open (45015)."""
        if user.last_interaction is None and user.last_event is None:
            return False
        return not any(self._windows(user))

    def follower(self, openid) -> MockUser:
        """The user a message goes to: 40003 when unknown, 43004 when not following."""
        user = self.user(openid) if isinstance(openid, str) else None
        if user is None:
            raise WeChatError(40003)
        if not user.subscribed:
            raise WeChatError(43004)
        return user

    # -- records ----------------------------------------------------------------------------------
    def record(self, kind: str, openid: str | None, payload: dict, **extra) -> Record:
        with self.lock:
            entry = Record(next(self._record_ids), kind, self.now_iso(), openid, payload, extra)
            self.records.append(entry)
            return entry

    def records_since(self, since_id: int = 0, kind: str | None = None, openid: str | None = None) -> list[Record]:
        with self.lock:
            return [r for r in self.records if r.id > since_id and kind in (None, r.kind)
                    and openid in (None, r.openid)]

    # -- menu, mass-send ids, OAuth2 codes --------------------------------------------------------
    def set_menu(self, menu: dict | None) -> None:
        with self.lock:
            self.menu = menu

    def claim_client_msg_id(self, client_msg_id: str) -> None:
        """45065 when the same clientmsgid was used for a mass send in the last 24 hours."""
        with self.lock:
            now = self.clock()
            used = self.client_msg_ids.get(client_msg_id)
            if used is not None and now - used < CLIENT_MSG_ID_SECONDS:
                raise WeChatError(45065)
            self.client_msg_ids[client_msg_id] = now

    def mass_month(self) -> str:
        return datetime.fromtimestamp(self.clock() + BEIJING_OFFSET_SECONDS, UTC).strftime("%Y-%m")

    def mass_deliver(self, openids: list[str]) -> tuple[list[str], list[str]]:
        """(delivered, filtered): followers who already received 4 mass messages this calendar month (Beijing
        time) are filtered out, as WeChat does (they count in TotalCount, not in FilterCount); the others'
        counts go up by one."""
        with self.lock:
            month = self.mass_month()
            delivered, filtered = [], []
            for openid in openids:
                key = (openid, month)
                if self.mass_received.get(key, 0) >= MASS_PER_MONTH:
                    filtered.append(openid)
                else:
                    self.mass_received[key] = self.mass_received.get(key, 0) + 1
                    delivered.append(openid)
            return delivered, filtered

    def mass_count(self, openid: str) -> int:
        """Mass messages the follower received this calendar month (shown in the simulator)."""
        with self.lock:
            return self.mass_received.get((openid, self.mass_month()), 0)

    def issue_code(self, openid: str, scope: str) -> str:
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = OAuthCode(openid, scope, self.clock())
        return code

    def redeem_code(self, code: str) -> OAuthCode:
        """Single use: 40163 once used, 40029 when unknown or older than the code lifetime."""
        with self.lock:
            grant = self.codes.get(code)
            if grant is None or self.clock() - grant.issued_at > self.settings.oauth_code_ttl_seconds:
                raise WeChatError(40029)
            if grant.used:
                raise WeChatError(40163)
            grant.used = True
            return grant

    def stats(self) -> dict:
        with self.lock:
            return {
                "api_calls": self.api_calls,
                "faults_injected": self.faults_injected,
                "tokens_issued": self.tokens_issued,
                "tokens_issued_today": self._tokens_today,
                "records": dict(Counter(r.kind for r in self.records)),
                "users": len(self.users),
                "followers": sum(1 for u in self.users.values() if u.subscribed),
                "menu": self.menu is not None,
                **self.stable.stats(),  # /cgi-bin/stable_token: stable_tokens_issued, stable_forced_today, ...
            }
