"""The settings as frozen sections, one per concern, built once from the app's flat config by the factory.

`build(config)` reads the flat keys that `load_config()` produced (plus whatever a test or an instance
passed on top), checks their types and the rules that span keys, and returns `Sections`; a wrong value
raises ConfigError naming the variable, at start-up. Services take the section they need as an argument
(`place_order(..., transfers)`), edges fetch them with `settings.of()`. Nothing here can be assigned to:
a changed setting is a new `Sections` (settings.update), never an edit in place.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from . import ConfigError, retention_outlasts_alerts

_MISSING = object()


def _value(config: Mapping, key: str):
    value = config.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise ConfigError(f"{key} is not set / 未配置 {key}")
    return value


def _int(config: Mapping, key: str, minimum: int | None = None) -> int:
    value = _value(config, key)
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None:
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{key} must be >= {minimum}, got {number}")
    return number


def _float(config: Mapping, key: str, minimum: float | None = None) -> float:
    value = _value(config, key)
    try:
        number = float(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None:
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{key} must be >= {minimum}, got {number}")
    return number


def _flag(config: Mapping, key: str) -> bool:
    value = _value(config, key)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{key} must be 1 or 0 (true/false), got {value!r}")


def _str(config: Mapping, key: str, default: str | None = None) -> str:
    value = config.get(key)
    value = default if value is None else value
    if value is None:
        raise ConfigError(f"{key} is not set / 未配置 {key}")
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be text, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Brand:
    """Who the bank is to its customers, and where and when it serves them."""

    name: str
    short_name: str
    name_en: str
    color: str
    hotline: str
    public_domain: str
    public_base_url: str  # no trailing slash
    timezone: str  # IANA; the bank's calendar day (limits, alert times, charts)
    default_locale: str

    @classmethod
    def from_config(cls, config: Mapping) -> "Brand":
        return cls(_str(config, "BANK_NAME", ""), _str(config, "BANK_SHORT_NAME", ""),
                   _str(config, "BANK_NAME_EN", ""), _str(config, "BRAND_COLOR", ""),
                   _str(config, "SERVICE_HOTLINE", ""), _str(config, "PUBLIC_DOMAIN", ""),
                   _str(config, "PUBLIC_BASE_URL").rstrip("/"), _str(config, "TIMEZONE"),
                   _str(config, "DEFAULT_LOCALE"))




@dataclass(frozen=True, slots=True)
class WeChat:
    """The official account: credentials, message encryption, the sandbox switch and the token store."""

    app_id: str
    app_secret: str
    token: str
    encoding_aes_key: str
    encrypt_mode: str
    sandbox: bool
    sandbox_api_url: str
    timestamp_window_seconds: int
    reply_budget_seconds: float
    max_body_bytes: int
    handler_threads: int
    token_refresh_margin_seconds: float
    redis_url: str  # "" -> the access token lives in the database
    menu_file: str
    token_endpoint: str = "stable"  # stable: POST /cgi-bin/stable_token; legacy: GET /cgi-bin/token

    @classmethod
    def from_config(cls, config: Mapping) -> "WeChat":
        return cls(
            _str(config, "WECHAT_APP_ID"), _str(config, "WECHAT_APP_SECRET", ""), _str(config, "WECHAT_TOKEN"),
            _str(config, "WECHAT_ENCODING_AES_KEY", ""), _str(config, "WECHAT_ENCRYPT_MODE"),
            _flag(config, "WECHAT_SANDBOX"), _str(config, "WECHAT_SANDBOX_API_URL"),
            _int(config, "WECHAT_TIMESTAMP_WINDOW_SECONDS", 1), _float(config, "WECHAT_REPLY_BUDGET_SECONDS", 0.05),
            _int(config, "WECHAT_MAX_BODY_BYTES", 1024), _int(config, "WECHAT_HANDLER_THREADS", 1),
            _float(config, "WECHAT_TOKEN_REFRESH_MARGIN_SECONDS", 0.0), _str(config, "REDIS_URL", ""),
            _str(config, "WECHAT_MENU_FILE", ""), _str(config, "WECHAT_TOKEN_ENDPOINT", "stable"),
        )


@dataclass(frozen=True, slots=True)
class Core:
    """The core banking adapter and the signed API the core calls (alert ingestion)."""

    adapter: str  # ledger | http
    url: str
    api_secret: str
    timeout_seconds: float
    api_max_body_bytes: int
    api_timestamp_window_seconds: int

    @classmethod
    def from_config(cls, config: Mapping) -> "Core":
        return cls(_str(config, "CORE_BANKING_ADAPTER", "ledger"), _str(config, "CORE_BANKING_URL", ""),
                   _str(config, "CORE_API_SECRET", ""), _float(config, "CORE_BANKING_TIMEOUT_SECONDS", 0.1),
                   _int(config, "CORE_API_MAX_BODY_BYTES", 1024), _int(config, "CORE_API_TIMESTAMP_WINDOW_SECONDS", 1))


@dataclass(frozen=True, slots=True)
class Transfers:
    """Limits in fen per card and per customer (all their cards), and how long wrong PINs lock a card;
    `timezone` draws the limits' day."""

    single_limit_fen: int
    daily_limit_fen: int
    daily_count_limit: int
    lock_minutes: int
    timezone: str
    customer_daily_limit_fen: int

    @classmethod
    def from_config(cls, config: Mapping) -> "Transfers":
        daily = _int(config, "DAILY_TRANSFER_LIMIT_FEN", 1)
        transfers = cls(_int(config, "SINGLE_TRANSFER_LIMIT_FEN", 1), daily,
                        _int(config, "DAILY_TRANSFER_COUNT_LIMIT", 1), _int(config, "TRANSFER_LOCK_MINUTES", 1),
                        _str(config, "TIMEZONE"), int(config.get("CUSTOMER_DAILY_TRANSFER_LIMIT_FEN", daily)))
        if transfers.single_limit_fen > transfers.daily_limit_fen:
            raise ConfigError("SINGLE_TRANSFER_LIMIT_YUAN must not exceed DAILY_TRANSFER_LIMIT_YUAN")
        if transfers.customer_daily_limit_fen < transfers.single_limit_fen:
            raise ConfigError("CUSTOMER_DAILY_TRANSFER_LIMIT_YUAN must not be below SINGLE_TRANSFER_LIMIT_YUAN")
        return transfers


@dataclass(frozen=True, slots=True)
class Alerts:
    """Account-change alerts: the template, the customers' defaults, and the dispatcher's pace."""

    template_id: str
    template_fields: Mapping[str, str]  # role -> template keyword, read-only
    min_amount_fen: int  # the default threshold of a customer without saved rules
    default_on: bool
    max_age_minutes: int
    retention_days: int
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    quota_pause_seconds: float
    concurrent_sends: int
    batch_size: int
    lease_seconds: float
    poll_seconds: float
    send_timeout_seconds: float
    metrics_token: str

    @classmethod
    def from_config(cls, config: Mapping) -> "Alerts":
        fields = _value(config, "ALERT_TEMPLATE_FIELDS")
        if not isinstance(fields, Mapping):
            raise ConfigError("ALERT_TEMPLATE_FIELDS must be role=keyword pairs (see load_config)")
        return cls(
            _str(config, "ALERT_TEMPLATE_ID", ""), MappingProxyType(dict(fields)),
            _int(config, "ALERT_MIN_AMOUNT_FEN", 0), _flag(config, "ALERTS_DEFAULT_ON"),
            _int(config, "ALERT_MAX_AGE_MINUTES", 1), _int(config, "ALERT_RETENTION_DAYS", 1),
            _int(config, "ALERT_MAX_ATTEMPTS", 1), _float(config, "ALERT_RETRY_BASE_SECONDS", 0.0),
            _float(config, "ALERT_RETRY_MAX_SECONDS", 0.0), _float(config, "ALERT_QUOTA_PAUSE_SECONDS", 0.0),
            _int(config, "ALERT_CONCURRENT_SENDS", 1), _int(config, "ALERT_BATCH_SIZE", 1),
            _float(config, "ALERT_LEASE_SECONDS", 1.0), _float(config, "ALERT_POLL_SECONDS", 0.01),
            _float(config, "ALERT_SEND_TIMEOUT_SECONDS", 0.1), _str(config, "METRICS_TOKEN", ""),
        )


@dataclass(frozen=True, slots=True)
class Admin:
    """The staff panel (/admin)."""

    enabled: bool
    session_minutes: int

    @classmethod
    def from_config(cls, config: Mapping) -> "Admin":
        return cls(_flag(config, "ADMIN_PANEL_ENABLED"), _int(config, "ADMIN_SESSION_MINUTES", 1))


@dataclass(frozen=True, slots=True)
class Sms:
    """Who sends text messages: `sandbox`, `gateway` (the bank's platform, signed HTTP contract),
    `tencentcloud` (Tencent Cloud SMS) or `package.module:Factory` (docs/sms.md)."""

    sender: str
    timeout_seconds: float = 5.0
    gateway_url: str = ""
    gateway_secret: str = field(default="", repr=False)
    tencent_secret_id: str = ""
    tencent_secret_key: str = field(default="", repr=False)
    tencent_sdk_app_id: str = ""
    tencent_sign_name: str = ""
    tencent_templates: tuple[tuple[str, str], ...] = ()
    tencent_region: str = "ap-guangzhou"
    tencent_endpoint: str = ""

    @classmethod
    def from_config(cls, config: Mapping) -> "Sms":
        sender = _str(config, "SMS_SENDER", "sandbox") or "sandbox"
        sms = cls(sender, _float(config, "SMS_TIMEOUT_SECONDS", minimum=0.1) if "SMS_TIMEOUT_SECONDS" in config
                  else 5.0,
                  _str(config, "SMS_GATEWAY_URL", "").strip().rstrip("/"), _str(config, "SMS_GATEWAY_SECRET", ""),
                  _str(config, "TENCENTCLOUD_SECRET_ID", "").strip(), _str(config, "TENCENTCLOUD_SECRET_KEY", ""),
                  _str(config, "TENCENTCLOUD_SMS_SDK_APP_ID", "").strip(),
                  _str(config, "TENCENTCLOUD_SMS_SIGN_NAME", "").strip(),
                  _templates(_str(config, "TENCENTCLOUD_SMS_TEMPLATES", "")),
                  _str(config, "TENCENTCLOUD_REGION", "ap-guangzhou").strip() or "ap-guangzhou",
                  _str(config, "TENCENTCLOUD_SMS_ENDPOINT", "").strip())
        sms.check()
        return sms

    def check(self) -> None:
        """The chosen backend has what it needs to send; ConfigError saying what to set otherwise."""
        if self.sender == "gateway":
            if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", self.gateway_url):
                raise ConfigError("SMS_SENDER=gateway needs SMS_GATEWAY_URL, the http(s) base URL of the bank's "
                                  "SMS platform / 请设置 SMS_GATEWAY_URL (docs/sms.md)")
            if len(self.gateway_secret) < 16:
                raise ConfigError("SMS_SENDER=gateway needs SMS_GATEWAY_SECRET (16+ characters, shared with the "
                                  "SMS platform) / 请设置 SMS_GATEWAY_SECRET (docs/sms.md)")
        elif self.sender == "tencentcloud":
            missing = [name for name, value in (
                ("TENCENTCLOUD_SECRET_ID", self.tencent_secret_id),
                ("TENCENTCLOUD_SECRET_KEY", self.tencent_secret_key),
                ("TENCENTCLOUD_SMS_SDK_APP_ID", self.tencent_sdk_app_id),
                ("TENCENTCLOUD_SMS_SIGN_NAME", self.tencent_sign_name)) if not value]
            templates = dict(self.tencent_templates)
            missing += [f"TENCENTCLOUD_SMS_TEMPLATES ({kind}=<template id>)" for kind in ("otp", "alert")
                        if kind not in templates]
            if missing:
                raise ConfigError(f"SMS_SENDER=tencentcloud needs {', '.join(missing)} / 请设置 "
                                  f"{', '.join(missing)} (docs/sms.md)")


def _templates(raw: str) -> tuple[tuple[str, str], ...]:
    """TENCENTCLOUD_SMS_TEMPLATES: kind=template id pairs, e.g. otp=1234567,alert=1234568."""
    pairs = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        kind, _, template_id = part.partition("=")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", kind.strip()) or not re.fullmatch(r"\d{1,20}", template_id.strip()):
            raise ConfigError("TENCENTCLOUD_SMS_TEMPLATES must be kind=template id pairs separated by commas, "
                              "e.g. otp=1234567,alert=1234568")
        pairs.append((kind.strip(), template_id.strip()))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class Web:
    """The customer-facing web: H5 sessions, the reverse proxies in front, the log level and format."""

    h5_session_minutes: int
    trusted_proxies: int
    log_level: str
    log_format: str = "text"  # text or json (shared/logs.py)

    @classmethod
    def from_config(cls, config: Mapping) -> "Web":
        return cls(_int(config, "H5_SESSION_MINUTES", 1), _int(config, "TRUSTED_PROXIES", 0),
                   _str(config, "LOG_LEVEL", "INFO"), _str(config, "LOG_FORMAT", "text"))


@dataclass(frozen=True, slots=True)
class Security:
    """Lock-outs and throttles against guessing (docs/security.md); every "per day" is the last 24 hours."""

    admin_lockout_failures: int  # wrong passwords in a row that lock a staff account
    admin_lockout_minutes: int
    bind_identity_failures_per_card: int  # refused identity checks for one card per day
    bind_identity_failures_per_openid: int  # ... from one WeChat user per day
    bind_sms_per_phone: int  # binding codes sent to one phone per day
    bind_sms_interval_seconds: int  # at least this long between two codes to one phone
    bind_code_failures_per_phone: int  # wrong codes for one phone per day, across restarted bindings
    payee_check_failures_per_day: int  # transfers refused for a wrong payee name/number, per customer per day

    @classmethod
    def from_config(cls, config: Mapping) -> "Security":
        return cls(*(_int(config, key, 1) for key in (
            "ADMIN_LOCKOUT_FAILURES", "ADMIN_LOCKOUT_MINUTES", "BIND_IDENTITY_FAILURES_PER_CARD",
            "BIND_IDENTITY_FAILURES_PER_OPENID", "BIND_SMS_PER_PHONE", "BIND_SMS_INTERVAL_SECONDS",
            "BIND_CODE_FAILURES_PER_PHONE", "PAYEE_CHECK_FAILURES_PER_DAY")))


@dataclass(frozen=True, slots=True)
class Sections:
    brand: Brand
    wechat: WeChat
    core: Core
    transfers: Transfers
    alerts: Alerts
    admin: Admin
    sms: Sms
    web: Web
    security: Security


def build(config: Mapping) -> Sections:
    """Every section from the flat config; ConfigError (naming the variable) for a value of the wrong kind."""
    sections = Sections(Brand.from_config(config), WeChat.from_config(config), Core.from_config(config),
                        Transfers.from_config(config), Alerts.from_config(config), Admin.from_config(config),
                        Sms.from_config(config), Web.from_config(config), Security.from_config(config))
    if not sections.wechat.sandbox and sections.sms.sender == "sandbox":
        raise ConfigError("production (WECHAT_SANDBOX=0) needs a real SMS sender: set SMS_SENDER=gateway with "
                          "SMS_GATEWAY_URL and SMS_GATEWAY_SECRET, or SMS_SENDER=tencentcloud with the "
                          "TENCENTCLOUD_* settings, or SMS_SENDER=package.module:Factory (docs/sms.md) / "
                          "生产模式须配置短信通道 SMS_SENDER")
    if not retention_outlasts_alerts(sections.alerts.retention_days, sections.alerts.max_age_minutes):
        raise ConfigError("ALERT_RETENTION_DAYS must be longer than ALERT_MAX_AGE_MINUTES / "
                          "提醒保留天数须长于提醒有效期")
    return sections
