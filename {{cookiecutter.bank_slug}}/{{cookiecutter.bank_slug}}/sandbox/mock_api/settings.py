"""What the mock WeChat API knows about the account it plays: credentials, lifetimes, limits."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from ...sms import mock_control_token
from ..wechat_push import WeChatPusher

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class MockSettings:
    app_id: str = "wx0000000000000000"
    app_secret: str = "sandbox-app-secret"
    token_ttl_seconds: int = 7200
    token_daily_quota: int = 2000  # WeChat's daily limit of /cgi-bin/token calls; then 45009
    oauth_code_ttl_seconds: int = 300  # an OAuth2 code is valid for 5 minutes, once
    timeout_seconds: float = 10.0  # how long an injected timeout holds the response
    seed: int | None = None  # fault-injection RNG seed, for repeatable runs
    max_records: int = 10_000
    service_url: str = "http://127.0.0.1:5000"
    public_domain: str = ""  # the account's 网页授权域名 besides the service's own host
    # The service's message settings, to sign pushes exactly as WeChat does.
    token: str = ""
    encoding_aes_key: str = ""
    encrypt_mode: str = "safe"
    # X-Mock-Token of the control endpoints (guard.py); "" -> a random one per run (create_mock_app)
    control_token: str = ""

    @classmethod
    def from_config(cls, config, **overrides) -> "MockSettings":
        """Settings matching a service's app.config, so the service and the mock agree."""
        values = {
            "app_id": config["WECHAT_APP_ID"],
            "app_secret": config["WECHAT_APP_SECRET"],
            "public_domain": config.get("PUBLIC_DOMAIN") or "",
            "token": config["WECHAT_TOKEN"],
            "encoding_aes_key": config["WECHAT_ENCODING_AES_KEY"],
            "encrypt_mode": config["WECHAT_ENCRYPT_MODE"],
            "control_token": mock_control_token(config["SECRET_KEY"]),
        }
        values.update(overrides)
        return cls(**values)

    @property
    def oauth_hosts(self) -> frozenset[str]:
        """Hosts an OAuth2 redirect_uri may point at (the platform's 网页授权域名 check)."""
        hosts = {*LOOPBACK_HOSTS, urlsplit(self.service_url).hostname or ""}
        if self.public_domain:
            hosts.add(self.public_domain.lower())
        return frozenset(h for h in hosts if h)

    def pusher(self) -> WeChatPusher:
        return WeChatPusher(self.token, self.encoding_aes_key, self.app_id, self.encrypt_mode)
