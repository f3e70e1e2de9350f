"""The stable_token endpoint's memory (see stable_token.py for WeChat's rules it follows)."""


import secrets
import threading
from dataclasses import dataclass

from .errors import WeChatError

EARLY_RENEWAL_SECONDS = 300  # normal mode renews in the token's last 5 minutes
FORCED_PER_DAY = 20
FORCED_MIN_INTERVAL_SECONDS = 30
BEIJING_OFFSET_SECONDS = 8 * 3600
DEFAULT_BLOCKED_IP = "203.0.113.7"  # TEST-NET-3: an address that is nobody's


@dataclass
class _Token:
    value: str
    expires_at: float


class StableTokens:
    """The account's stable tokens: the current one, the previous one while it overlaps, forced counts."""

    def __init__(self, clock, ttl: int) -> None:
        self.clock = clock
        self.ttl = ttl
        self.lock = threading.RLock()
        self.current: _Token | None = None
        self.previous: _Token | None = None  # still valid until its expiry (normal-mode early renewal)
        self.forced_day: int | None = None
        self.forced_today = 0
        self.forced_at: float | None = None
        self.issued = 0
        self.ip_blocked: str | None = None  # the egress IP WeChat refuses (40164), None: whitelisted

    def _new(self) -> _Token:
        self.issued += 1
        return _Token(secrets.token_urlsafe(96), self.clock() + self.ttl)

    def get(self, force_refresh: bool) -> tuple[str, int, bool]:
        """(token, expires_in, new) by WeChat's rules; 45009 past the day's forced refreshes."""
        with self.lock:
            now = self.clock()
            if force_refresh:
                day = int(now + BEIJING_OFFSET_SECONDS) // 86400
                if day != self.forced_day:
                    self.forced_day, self.forced_today = day, 0
                if self.forced_today >= FORCED_PER_DAY:
                    raise WeChatError(45009)
                recent = self.forced_at is not None and now - self.forced_at < FORCED_MIN_INTERVAL_SECONDS
                if not recent or self.current is None or now >= self.current.expires_at:
                    self.forced_today += 1
                    self.forced_at = now
                    self.previous, self.current = None, self._new()  # the last one stops working
                    return self.current.value, self.ttl, True
            elif self.current is None or now >= self.current.expires_at - EARLY_RENEWAL_SECONDS:
                self.previous = self.current if self.current and now < self.current.expires_at else None
                self.current = self._new()
                return self.current.value, self.ttl, True
            return self.current.value, max(1, int(self.current.expires_at - now)), False

    def check(self, token: str) -> int | None:
        """None when `token` is a stable token that works now, 42001 when it was one and expired, 40001 else."""
        with self.lock:
            now = self.clock()
            for known in (self.current, self.previous):
                if known is not None and secrets.compare_digest(known.value, token):
                    return None if now < known.expires_at else 42001
            return 40001

    def check_ip(self) -> None:
        if self.ip_blocked:
            ip = self.ip_blocked
            raise WeChatError(40164, f"{ip} ipv6 ::ffff:{ip}, not in whitelist")

    def stats(self) -> dict:
        with self.lock:
            return {"stable_tokens_issued": self.issued, "stable_forced_today": self.forced_today,
                    "ip_blocked": self.ip_blocked}


