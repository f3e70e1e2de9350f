"""Configuration from the environment (and .env), with the baked answers as defaults.

`load_config()` returns a plain dict for `app.config`; `ConfigError` names the variable that is
missing or wrong so a misconfigured deployment fails at start-up, not on the first message.
The factory then builds the frozen sections (sections.py) from that dict once: `install(app)`;
domain code gets them passed in, edges fetch them with `of()`.
"""

import os
import re
import zoneinfo
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Flask, current_app

from ..bank_profile import BAKED_DEFAULTS
from ..shared import fieldcrypt

ENCRYPT_MODES = ("plain", "compat", "safe")
CORE_BANKING_ADAPTERS = ("ledger", "http")  # built-in double-entry ledger | the bank's core over HTTP
LOCALES = ("zh_CN", "en")  # the languages with a catalogue (translations/); the first is the house language


class ConfigError(RuntimeError):
    """A configuration value is missing or invalid."""


def _get(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name)
    if value is None or value == "":
        return BAKED_DEFAULTS.get(name, default)
    return value


def _require(env, name):
    value = _get(env, name)
    if not value:
        raise ConfigError(f"{name} is not set (see .env.example) / 未配置 {name}")
    return value


def _int(env, name, default, minimum=0):
    raw = _get(env, name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env, name, default, minimum=0.0):
    raw = _get(env, name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def _flag(env, name, default=False):
    raw = _get(env, name, "1" if default else "0")
    return str(raw).strip().lower() in {"1", "true", "yes", "on"}


def _reply_budget(env) -> float:
    budget = _float(env, "WECHAT_REPLY_BUDGET_SECONDS", 4.0, minimum=0.05)
    if budget >= 5:
        raise ConfigError("WECHAT_REPLY_BUDGET_SECONDS must be below 5 (WeChat gives up after 5 s)")
    return budget


def _log_level(env) -> str:
    level = str(_get(env, "LOG_LEVEL", "INFO")).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}")
    return level


def _log_format(env) -> str:
    log_format = str(_get(env, "LOG_FORMAT", "text")).strip().lower()
    if log_format not in {"text", "json"}:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {log_format!r}")
    return log_format


def database_url(env: Mapping[str, str]) -> str:
    url = _get(env, "DATABASE_URL")
    if not url:
        raise ConfigError("DATABASE_URL is not set (see .env.example) / 未配置 DATABASE_URL")
    # Accept the common spellings and use the psycopg 3 driver for PostgreSQL.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def public_base_url(env: Mapping[str, str]) -> str:
    """Where customers' browsers reach the service (H5 pages, OAuth2 callback, menu links)."""
    url = (_get(env, "PUBLIC_BASE_URL") or f"https://{_get(env, 'PUBLIC_DOMAIN', '')}").rstrip("/")
    if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", url):
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) URL without query, got {url!r}")
    return url


def redis_url(env: Mapping[str, str]) -> str:
    """Optional; when set, the shared WeChat access token lives in Redis instead of the database."""
    url = _get(env, "REDIS_URL", "") or ""
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    return url


def sms_sender(env: Mapping[str, str]) -> str:
    """`sandbox` (the mock WeChat server's SMS inbox), `gateway`, `tencentcloud` or `package.module:Factory`
    (docs/sms.md)."""
    value = (_get(env, "SMS_SENDER", "sandbox") or "sandbox").strip()
    factory = re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*", value)
    if value not in ("sandbox", "gateway", "tencentcloud") and not factory:
        raise ConfigError("SMS_SENDER must be sandbox, gateway, tencentcloud or package.module:Factory, "
                          f"got {value!r}")
    return value


def default_locale(env: Mapping[str, str]) -> str:
    """The language of pages without a choice (no ?lang=, no Accept-Language match) and of chat replies."""
    value = str(_get(env, "DEFAULT_LOCALE", LOCALES[0]) or LOCALES[0]).strip()
    spelled = {locale.lower().replace("_", "-"): locale for locale in LOCALES}  # zh-CN, zh_cn, EN are fine
    if value.lower().replace("_", "-") not in spelled:
        raise ConfigError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}, got {value!r} / "
                          f"DEFAULT_LOCALE 只能是 {' 或 '.join(LOCALES)}")
    return spelled[value.lower().replace("_", "-")]


ALERT_FIELD_ROLES = ("type", "amount", "time", "card", "balance")  # alerts/message.py: what each keyword shows
DEFAULT_ALERT_TEMPLATE_FIELDS = "type=thing1,amount=amount2,time=time3,card=character_string4,balance=amount5"
SANDBOX_ALERT_TEMPLATE_ID = "sandbox_tmpl_account_change"  # the mock WeChat API's account-change template


TRANSFER_FIELD_ROLES = ("payee", "amount", "status", "time", "card")  # transfers/notify.py: the outcome notice
DEFAULT_TRANSFER_TEMPLATE_FIELDS = "payee=thing1,amount=amount2,status=phrase3,time=time4,card=character_string5"
SANDBOX_TRANSFER_TEMPLATE_ID = "sandbox_tmpl_transfer_result"  # the mock WeChat API's transfer-result template

COMPLAINT_FIELD_ROLES = ("ticket", "status", "time", "remark")  # complaints/notify.py: a complaint's notice
DEFAULT_COMPLAINT_TEMPLATE_FIELDS = "ticket=character_string1,status=phrase2,time=time3,remark=thing4"


REQUEST_FIELD_ROLES = ("reference", "kind", "status", "time", "note")  # requests/notify.py: a request's notice
DEFAULT_REQUEST_TEMPLATE_FIELDS = "reference=character_string1,kind=thing2,status=phrase3,time=time4,note=thing5"
CREDIT_FIELD_ROLES = ("card", "amount", "minimum", "due")  # credit_cards/notify.py: the due-date reminder
DEFAULT_CREDIT_TEMPLATE_FIELDS = "card=character_string1,amount=amount2,minimum=amount3,due=time4"

CONVERSATION_FIELD_ROLES = ("staff", "time", "remark")  # conversations/notify.py: "a reply is waiting"
DEFAULT_CONVERSATION_TEMPLATE_FIELDS = "staff=thing1,time=time2,remark=thing3"
SANDBOX_CONVERSATION_TEMPLATE_ID = "sandbox_tmpl_service_reply"  # the mock WeChat API's "reply waiting" template
CONVERSATION_HANDOFFS = ("builtin", "wechat")  # 人工: our own conversations, or WeChat's 客服 system


def _template_fields(env: Mapping[str, str], name: str, roles: tuple[str, ...], default: str,
                     required: tuple[str, ...]) -> dict[str, str]:
    """role=keyword pairs separated by commas: which keyword of the account's template shows what."""
    raw = str(_get(env, name, default) or default)
    fields = {}
    for part in raw.split(","):
        role, _, keyword = part.strip().partition("=")
        if role not in roles or not re.fullmatch(r"[a-z_]+\d*", keyword.strip()) or role in fields:
            raise ConfigError(f"{name} must be role=keyword pairs separated by commas, roles from "
                              f"{', '.join(roles)}, e.g. {default}")
        fields[role] = keyword.strip()
    missing = [role for role in required if role not in fields]
    if missing:
        raise ConfigError(f"{name} must map {', '.join(missing)} to a keyword of the template")
    return fields


def alert_template_fields(env: Mapping[str, str]) -> dict[str, str]:
    """ALERT_TEMPLATE_FIELDS, e.g. type=thing1,amount=amount2,time=time3,card=character_string4,balance=amount5."""
    return _template_fields(env, "ALERT_TEMPLATE_FIELDS", ALERT_FIELD_ROLES, DEFAULT_ALERT_TEMPLATE_FIELDS,
                            ("type", "amount", "time"))


def transfer_template_fields(env: Mapping[str, str]) -> dict[str, str]:
    """TRANSFER_TEMPLATE_FIELDS, e.g. payee=thing1,amount=amount2,status=phrase3,time=time4,card=character_string5."""
    return _template_fields(env, "TRANSFER_TEMPLATE_FIELDS", TRANSFER_FIELD_ROLES, DEFAULT_TRANSFER_TEMPLATE_FIELDS,
                            ("amount", "status"))


def complaint_template_fields(env: Mapping[str, str]) -> dict[str, str]:
    """COMPLAINT_TEMPLATE_FIELDS, e.g. ticket=character_string1,status=phrase2,time=time3,remark=thing4."""
    return _template_fields(env, "COMPLAINT_TEMPLATE_FIELDS", COMPLAINT_FIELD_ROLES,
                            DEFAULT_COMPLAINT_TEMPLATE_FIELDS, ("ticket", "status"))


def request_template_fields(env: Mapping[str, str]) -> dict[str, str]:
    """REQUESTS_TEMPLATE_FIELDS, e.g. reference=character_string1,kind=thing2,status=phrase3,time=time4,note=thing5."""
    return _template_fields(env, "REQUESTS_TEMPLATE_FIELDS", REQUEST_FIELD_ROLES, DEFAULT_REQUEST_TEMPLATE_FIELDS,
                            ("reference", "status"))


def conversation_template_fields(env: Mapping[str, str]) -> dict[str, str]:
    """CONVERSATION_TEMPLATE_FIELDS, e.g. staff=thing1,time=time2,remark=thing3."""
    return _template_fields(env, "CONVERSATION_TEMPLATE_FIELDS", CONVERSATION_FIELD_ROLES,
                            DEFAULT_CONVERSATION_TEMPLATE_FIELDS, ("remark",))


def conversation_handoff(env: Mapping[str, str]) -> str:
    value = str(_get(env, "CONVERSATION_HANDOFF", "builtin") or "builtin").strip().lower()
    if value not in CONVERSATION_HANDOFFS:
        raise ConfigError(f"CONVERSATION_HANDOFF must be one of {', '.join(CONVERSATION_HANDOFFS)}, got {value!r}")
    return value


def credit_template_fields(env: Mapping[str, str]) -> dict[str, str]:
    """CREDIT_TEMPLATE_FIELDS, e.g. card=character_string1,amount=amount2,minimum=amount3,due=time4."""
    return _template_fields(env, "CREDIT_TEMPLATE_FIELDS", CREDIT_FIELD_ROLES, DEFAULT_CREDIT_TEMPLATE_FIELDS,
                            ("amount", "due"))


def _sandbox_default(env: Mapping[str, str], name: str, sandbox_value: str) -> str:
    """The configured value, else in sandbox mode the mock WeChat API's built-in one, else empty."""
    sandbox = _flag(env, "WECHAT_SANDBOX", default=not _get(env, "WECHAT_APP_SECRET"))
    return str(_get(env, name, "") or (sandbox_value if sandbox else "")).strip()


def _core_banking_adapter(env) -> str:
    adapter = str(_get(env, "CORE_BANKING_ADAPTER", "ledger")).strip().lower()
    if adapter not in CORE_BANKING_ADAPTERS:
        raise ConfigError(f"CORE_BANKING_ADAPTER must be ledger or http, got {adapter!r}")
    return adapter


def core_banking_url(env: Mapping[str, str]) -> str:
    """The bank's core API (banking/http_core.py); with a real CORE_API_SECRET, required when
    CORE_BANKING_ADAPTER=http. The messages never repeat the URL: it may hold credentials."""
    url = str(_get(env, "CORE_BANKING_URL", "") or "").strip().rstrip("/")
    if _core_banking_adapter(env) != "http":
        return url
    if not url:
        raise ConfigError("CORE_BANKING_URL is not set (needed when CORE_BANKING_ADAPTER=http) / "
                          "未配置 CORE_BANKING_URL")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError("CORE_BANKING_URL must be an http(s) URL without query or fragment")
    secret = str(_get(env, "CORE_API_SECRET", "") or "")
    if len(secret) < 16 or secret == "change-me":
        raise ConfigError("CORE_API_SECRET must be set (16+ characters, shared with the core) when "
                          "CORE_BANKING_ADAPTER=http")
    return url


def retention_outlasts_alerts(retention_days: int, max_age_minutes: int) -> bool:
    """Alerts are kept longer than they may go out: a pruned transaction id the core pushes again then ends
    expired instead of alerting the customer a second time."""
    return retention_days * 24 * 60 > max_age_minutes


TOKEN_ENDPOINTS = ("stable", "legacy")  # wechat/token_store.py: POST /cgi-bin/stable_token | GET /cgi-bin/token


def token_endpoint(env) -> str:
    """Which WeChat endpoint fetches access tokens; stable unless told otherwise."""
    value = str(_get(env, "WECHAT_TOKEN_ENDPOINT", "stable") or "stable").strip().lower()
    if value not in TOKEN_ENDPOINTS:
        raise ConfigError(f"WECHAT_TOKEN_ENDPOINT must be one of {', '.join(TOKEN_ENDPOINTS)}, got {value!r}")
    return value


def load_config(env: Mapping[str, str] | None = None) -> dict:
    env = os.environ if env is None else env
    mode = _get(env, "WECHAT_ENCRYPT_MODE", "safe")
    if mode not in ENCRYPT_MODES:
        raise ConfigError(f"WECHAT_ENCRYPT_MODE must be one of {', '.join(ENCRYPT_MODES)}, got {mode!r}")
    aes_key = _get(env, "WECHAT_ENCODING_AES_KEY", "")
    if mode != "plain" and not re.fullmatch(r"[A-Za-z0-9]{43}", aes_key or ""):
        raise ConfigError("WECHAT_ENCODING_AES_KEY must be 43 letters or digits for compat/safe mode")
    previous_aes_key = _get(env, "WECHAT_ENCODING_AES_KEY_PREVIOUS", "")  # during a key change
    if previous_aes_key and not re.fullmatch(r"[A-Za-z0-9]{43}", previous_aes_key):
        raise ConfigError("WECHAT_ENCODING_AES_KEY_PREVIOUS must be 43 letters or digits (or empty)")
    token = _require(env, "WECHAT_TOKEN")
    if not re.fullmatch(r"[A-Za-z0-9]{3,32}", token):
        raise ConfigError("WECHAT_TOKEN must be 3-32 letters or digits (WeChat's rule)")
    timezone = _get(env, "TIMEZONE", "Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {timezone!r} is not an IANA time zone") from None
    single = _int(env, "SINGLE_TRANSFER_LIMIT_YUAN", 5000, minimum=1)
    daily = _int(env, "DAILY_TRANSFER_LIMIT_YUAN", 20000, minimum=1)
    if single > daily:
        raise ConfigError("SINGLE_TRANSFER_LIMIT_YUAN must not exceed DAILY_TRANSFER_LIMIT_YUAN")
    customer_daily = _int(env, "CUSTOMER_DAILY_TRANSFER_LIMIT_YUAN", daily, minimum=1)
    if customer_daily < single:
        raise ConfigError("CUSTOMER_DAILY_TRANSFER_LIMIT_YUAN must not be below SINGLE_TRANSFER_LIMIT_YUAN")
    max_age_minutes = _int(env, "ALERT_MAX_AGE_MINUTES", 1440, minimum=1)
    retention_days = _int(env, "ALERT_RETENTION_DAYS", 180, minimum=1)
    if not retention_outlasts_alerts(retention_days, max_age_minutes):
        raise ConfigError("ALERT_RETENTION_DAYS must be longer than ALERT_MAX_AGE_MINUTES / "
                          "提醒保留天数须长于提醒有效期")
    app_id = _require(env, "WECHAT_APP_ID")
    return {
        "SECRET_KEY": _require(env, "SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url(env),
        "BANK_NAME": _get(env, "BANK_NAME"),
        "BANK_SHORT_NAME": _get(env, "BANK_SHORT_NAME"),
        "BANK_NAME_EN": _get(env, "BANK_NAME_EN"),
        "BRAND_COLOR": _get(env, "BRAND_COLOR"),
        "SERVICE_HOTLINE": _get(env, "SERVICE_HOTLINE"),
        "PUBLIC_DOMAIN": _get(env, "PUBLIC_DOMAIN"),
        "PUBLIC_BASE_URL": public_base_url(env),
        "H5_SESSION_MINUTES": _int(env, "H5_SESSION_MINUTES", 30, minimum=1),
        "H5_IDLE_MINUTES": _int(env, "H5_IDLE_MINUTES", 5, minimum=1),  # no page for this long: the session ends
        "ADMIN_SESSION_MINUTES": _int(env, "ADMIN_SESSION_MINUTES", 30, minimum=1),
        "WECHAT_MENU_FILE": _get(env, "WECHAT_MENU_FILE", ""),
        "TENCENT_MAP_REFERER": (_get(env, "TENCENT_MAP_REFERER", "") or "")[:64],  # the branch finder's map links
        "TIMEZONE": timezone,
        "DEFAULT_LOCALE": default_locale(env),
        "WECHAT_APP_ID": app_id,
        "WECHAT_APP_SECRET": _get(env, "WECHAT_APP_SECRET", ""),
        "WECHAT_TOKEN": token,
        "WECHAT_ENCODING_AES_KEY": aes_key,
        "WECHAT_ENCODING_AES_KEY_PREVIOUS": previous_aes_key,
        "WECHAT_ENCRYPT_MODE": mode,
        "WECHAT_SANDBOX": _flag(env, "WECHAT_SANDBOX", default=not _get(env, "WECHAT_APP_SECRET")),
        "WECHAT_SANDBOX_API_URL": _get(env, "WECHAT_SANDBOX_API_URL", "http://127.0.0.1:5001"),
        "WECHAT_TIMESTAMP_WINDOW_SECONDS": _int(env, "WECHAT_TIMESTAMP_WINDOW_SECONDS", 300, minimum=1),
        "WECHAT_REPLY_BUDGET_SECONDS": _reply_budget(env),
        "WECHAT_MAX_BODY_BYTES": _int(env, "WECHAT_MAX_BODY_BYTES", 64 * 1024, minimum=1024),
        "WECHAT_HANDLER_THREADS": _int(env, "WECHAT_HANDLER_THREADS", 8, minimum=1),
        "WECHAT_TOKEN_REFRESH_MARGIN_SECONDS": _float(env, "WECHAT_TOKEN_REFRESH_MARGIN_SECONDS", 300.0),
        "WECHAT_TOKEN_ENDPOINT": token_endpoint(env),
        "REDIS_URL": redis_url(env),
        "SMS_SENDER": sms_sender(env),
        "SMS_TIMEOUT_SECONDS": _float(env, "SMS_TIMEOUT_SECONDS", 5.0, minimum=0.1),
        "SMS_GATEWAY_URL": str(_get(env, "SMS_GATEWAY_URL", "") or ""),
        "SMS_GATEWAY_SECRET": str(_get(env, "SMS_GATEWAY_SECRET", "") or ""),
        "TENCENTCLOUD_SECRET_ID": str(_get(env, "TENCENTCLOUD_SECRET_ID", "") or ""),
        "TENCENTCLOUD_SECRET_KEY": str(_get(env, "TENCENTCLOUD_SECRET_KEY", "") or ""),
        "TENCENTCLOUD_SMS_SDK_APP_ID": str(_get(env, "TENCENTCLOUD_SMS_SDK_APP_ID", "") or ""),
        "TENCENTCLOUD_SMS_SIGN_NAME": str(_get(env, "TENCENTCLOUD_SMS_SIGN_NAME", "") or ""),
        "TENCENTCLOUD_SMS_TEMPLATES": str(_get(env, "TENCENTCLOUD_SMS_TEMPLATES", "") or ""),
        "TENCENTCLOUD_REGION": str(_get(env, "TENCENTCLOUD_REGION", "ap-guangzhou") or "ap-guangzhou"),
        "TENCENTCLOUD_SMS_ENDPOINT": str(_get(env, "TENCENTCLOUD_SMS_ENDPOINT", "") or ""),
        # the bank's mobile banking app (outbox/app_push.py, docs/app-push-openapi.yaml): alerts by its push
        # platform, "在手机银行中打开" links and the app-download menu entry
        "APP_PUSH_URL": str(_get(env, "APP_PUSH_URL", "") or "").strip().rstrip("/"),
        "APP_PUSH_SECRET": str(_get(env, "APP_PUSH_SECRET", "") or ""),
        "APP_PUSH_TIMEOUT_SECONDS": _float(env, "APP_PUSH_TIMEOUT_SECONDS", 5.0, minimum=0.1),
        "APP_PUSH_MAX_ATTEMPTS": _int(env, "APP_PUSH_MAX_ATTEMPTS", 3, minimum=1),
        "APP_DEEP_LINK": str(_get(env, "APP_DEEP_LINK", "") or "").strip(),
        "APP_DOWNLOAD_URL": str(_get(env, "APP_DOWNLOAD_URL", "") or "").strip(),
        "SINGLE_TRANSFER_LIMIT_FEN": single * 100,
        "DAILY_TRANSFER_LIMIT_FEN": daily * 100,
        "CUSTOMER_DAILY_TRANSFER_LIMIT_FEN": customer_daily * 100,
        "DAILY_TRANSFER_COUNT_LIMIT": _int(env, "DAILY_TRANSFER_COUNT_LIMIT", 10, minimum=1),
        "TRANSFER_LOCK_MINUTES": _int(env, "TRANSFER_LOCK_MINUTES", 30, minimum=1),
        "ALERT_MIN_AMOUNT_FEN": _int(env, "ALERT_MIN_AMOUNT_YUAN", 0) * 100,
        "ALERTS_DEFAULT_ON": _flag(env, "ALERTS_DEFAULT_ON", default=True),
        "ALERT_TEMPLATE_ID": _sandbox_default(env, "ALERT_TEMPLATE_ID", SANDBOX_ALERT_TEMPLATE_ID),
        "ALERT_TEMPLATE_FIELDS": alert_template_fields(env),
        "TRANSFER_TEMPLATE_ID": _sandbox_default(env, "TRANSFER_TEMPLATE_ID", SANDBOX_TRANSFER_TEMPLATE_ID),
        "TRANSFER_TEMPLATE_FIELDS": transfer_template_fields(env),
        "COMPLAINT_TEMPLATE_ID": str(_get(env, "COMPLAINT_TEMPLATE_ID", "") or "").strip(),
        "COMPLAINT_TEMPLATE_FIELDS": complaint_template_fields(env),
        "REQUESTS_TEMPLATE_ID": str(_get(env, "REQUESTS_TEMPLATE_ID", "") or "").strip(),
        "REQUESTS_TEMPLATE_FIELDS": request_template_fields(env),
        "CONVERSATION_HANDOFF": conversation_handoff(env),
        "CONVERSATION_TEMPLATE_ID": _sandbox_default(env, "CONVERSATION_TEMPLATE_ID", SANDBOX_CONVERSATION_TEMPLATE_ID),
        "CONVERSATION_TEMPLATE_FIELDS": conversation_template_fields(env),
        "CONVERSATION_SERVICE_HOURS": str(_get(env, "CONVERSATION_SERVICE_HOURS", "周一至周五 9:00-17:00") or ""),
        "CONVERSATION_RETENTION_DAYS": _int(env, "CONVERSATION_RETENTION_DAYS", 1095, minimum=1),
        "CONVERSATION_FLOOD_MESSAGES": _int(env, "CONVERSATION_FLOOD_MESSAGES", 10, minimum=1),
        "CONVERSATION_LINK_HOSTS": str(_get(env, "CONVERSATION_LINK_HOSTS", "") or ""),
        "CREDIT_TEMPLATE_ID": str(_get(env, "CREDIT_TEMPLATE_ID", "") or "").strip(),
        "CREDIT_TEMPLATE_FIELDS": credit_template_fields(env),
        "CREDIT_REMINDER_DAYS_BEFORE": _int(env, "CREDIT_REMINDER_DAYS_BEFORE", 3, minimum=1),
        "ALERT_MAX_AGE_MINUTES": max_age_minutes,
        "ALERT_RETENTION_DAYS": retention_days,
        "ALERT_MAX_ATTEMPTS": _int(env, "ALERT_MAX_ATTEMPTS", 8, minimum=1),
        "ALERT_RETRY_BASE_SECONDS": _float(env, "ALERT_RETRY_BASE_SECONDS", 2.0, minimum=0.0),
        "ALERT_RETRY_MAX_SECONDS": _float(env, "ALERT_RETRY_MAX_SECONDS", 600.0, minimum=0.0),
        "ALERT_QUOTA_PAUSE_SECONDS": _float(env, "ALERT_QUOTA_PAUSE_SECONDS", 300.0, minimum=0.0),
        "ALERT_CONCURRENT_SENDS": _int(env, "ALERT_CONCURRENT_SENDS", 64, minimum=1),
        "ALERT_BATCH_SIZE": _int(env, "ALERT_BATCH_SIZE", 200, minimum=1),
        "ALERT_LEASE_SECONDS": _float(env, "ALERT_LEASE_SECONDS", 60.0, minimum=1.0),
        "ALERT_POLL_SECONDS": _float(env, "ALERT_POLL_SECONDS", 1.0, minimum=0.01),
        "ALERT_SEND_TIMEOUT_SECONDS": _float(env, "ALERT_SEND_TIMEOUT_SECONDS", 5.0, minimum=0.1),
        "CORE_API_MAX_BODY_BYTES": _int(env, "CORE_API_MAX_BODY_BYTES", 4 * 1024 * 1024, minimum=1024),
        "CORE_API_TIMESTAMP_WINDOW_SECONDS": _int(env, "CORE_API_TIMESTAMP_WINDOW_SECONDS", 300, minimum=1),
        "METRICS_TOKEN": str(_get(env, "METRICS_TOKEN", "") or ""),
        "READYZ_CACHE_SECONDS": _float(env, "READYZ_CACHE_SECONDS", 5.0, minimum=0.0),
        "ADMIN_PANEL_ENABLED": _flag(env, "ADMIN_PANEL_ENABLED", default=True),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0, minimum=0),
        "CORE_API_SECRET": _get(env, "CORE_API_SECRET", ""),
        "CORE_BANKING_ADAPTER": _core_banking_adapter(env),
        "CORE_BANKING_URL": core_banking_url(env),
        "CORE_BANKING_TIMEOUT_SECONDS": _float(env, "CORE_BANKING_TIMEOUT_SECONDS", 5.0, minimum=0.1),
        "LOG_LEVEL": _log_level(env),
        "LOG_FORMAT": _log_format(env),
        # Throttles and lock-outs (docs/security.md)
        "ADMIN_LOCKOUT_FAILURES": _int(env, "ADMIN_LOCKOUT_FAILURES", 5, minimum=1),
        "ADMIN_LOCKOUT_MINUTES": _int(env, "ADMIN_LOCKOUT_MINUTES", 15, minimum=1),
        "BIND_IDENTITY_FAILURES_PER_CARD": _int(env, "BIND_IDENTITY_FAILURES_PER_CARD", 5, minimum=1),
        "BIND_IDENTITY_FAILURES_PER_OPENID": _int(env, "BIND_IDENTITY_FAILURES_PER_OPENID", 10, minimum=1),
        "BIND_SMS_PER_PHONE": _int(env, "BIND_SMS_PER_PHONE", 5, minimum=1),
        "BIND_SMS_INTERVAL_SECONDS": _int(env, "BIND_SMS_INTERVAL_SECONDS", 60, minimum=1),
        "BIND_CODE_FAILURES_PER_PHONE": _int(env, "BIND_CODE_FAILURES_PER_PHONE", 10, minimum=1),
        "PAYEE_CHECK_FAILURES_PER_DAY": _int(env, "PAYEE_CHECK_FAILURES_PER_DAY", 5, minimum=1),
        **transfer_safety_config(env, single),
        # Personal information (features/privacy, docs/compliance.md)
        **privacy_settings(env),
    }


def transfer_safety_config(env: Mapping[str, str], single_yuan: int) -> dict:
    """Transfer safety (features/transfers/safety.py, docs/compliance.md): arrival delays, the new-payee limit and
    the fraud rules' thresholds; amounts in yuan become fen."""
    night_start = _int(env, "FRAUD_NIGHT_START_HOUR", 23)
    night_end = _int(env, "FRAUD_NIGHT_END_HOUR", 6)
    if night_start > 23 or night_end > 23:
        raise ConfigError("FRAUD_NIGHT_START_HOUR and FRAUD_NIGHT_END_HOUR must be hours 0-23")
    next_day_hour = _int(env, "TRANSFER_NEXT_DAY_RELEASE_HOUR", 9)
    if next_day_hour > 23:
        raise ConfigError("TRANSFER_NEXT_DAY_RELEASE_HOUR must be an hour 0-23")
    return {
        "TRANSFER_NORMAL_ARRIVAL_MINUTES": _int(env, "TRANSFER_NORMAL_ARRIVAL_MINUTES", 120, minimum=1),
        "TRANSFER_NEXT_DAY_RELEASE_HOUR": next_day_hour,
        "NEW_PAYEE_LIMIT_FEN": _int(env, "NEW_PAYEE_LIMIT_YUAN", min(single_yuan, 2000), minimum=1) * 100,
        "NEW_PAYEE_HOURS": _int(env, "NEW_PAYEE_HOURS", 24, minimum=1),
        "FRAUD_NEW_PAYEES_COUNT": _int(env, "FRAUD_NEW_PAYEES_COUNT", 3, minimum=2),
        "FRAUD_NEW_PAYEES_MINUTES": _int(env, "FRAUD_NEW_PAYEES_MINUTES", 60, minimum=1),
        "FRAUD_NIGHT_START_HOUR": night_start,
        "FRAUD_NIGHT_END_HOUR": night_end,
        "FRAUD_NIGHT_AMOUNT_FEN": _int(env, "FRAUD_NIGHT_AMOUNT_YUAN", 1000, minimum=1) * 100,
        "FRAUD_NEW_BINDING_HOURS": _int(env, "FRAUD_NEW_BINDING_HOURS", 24, minimum=1),
        "FRAUD_NEW_BINDING_AMOUNT_FEN": _int(env, "FRAUD_NEW_BINDING_AMOUNT_YUAN", 500, minimum=1) * 100,
    }


def privacy_settings(env: Mapping) -> dict:
    """The privacy notice's version and text file, and the retention periods (days) of the prune job."""
    version = str(_get(env, "PRIVACY_NOTICE_VERSION", "2026.1") or "2026.1").strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", version):
        raise ConfigError("PRIVACY_NOTICE_VERSION must be 1-32 letters, digits, dots, dashes or underscores / "
                          "隐私政策版本号格式有误")
    values = {"PRIVACY_NOTICE_VERSION": version,
              "PRIVACY_NOTICE_FILE": str(_get(env, "PRIVACY_NOTICE_FILE", "") or "").strip(),
              # encryption at rest (shared/fieldcrypt.py): key-encryption keys, current first, and the lookup key
              "DATA_KEYS": str(_get(env, "DATA_KEYS", "") or "").strip(),
              "DATA_LOOKUP_KEY": str(_get(env, "DATA_LOOKUP_KEY", "") or "").strip()}
    try:
        fieldcrypt.Keyring.from_config(values["DATA_KEYS"], values["DATA_LOOKUP_KEY"])
    except fieldcrypt.KeyConfigError as exc:
        raise ConfigError(str(exc)) from None
    for key, default in RETENTION_DEFAULTS.items():
        values[key] = _int(env, key, default, minimum=1)
    return values


# Days each kind of record is kept after it ended (features/privacy/retention.py; docs/compliance.md).
RETENTION_DEFAULTS = {
    "RETENTION_BINDING_CHALLENGE_DAYS": 7,  # a binding attempt (the code's hash, the masked card) after it ended
    "RETENTION_UNBOUND_BINDING_DAYS": 1825,  # an unbound card's binding record: 5 years (AML record keeping)
    "RETENTION_TRANSFER_DAYS": 1825,  # transfer orders: 5 years (Anti-Money Laundering Law)
    "RETENTION_COMPLAINT_DAYS": 1095,  # closed complaints: 3 years
    "RETENTION_REQUEST_DAYS": 365,  # finished loan applications and card appointments
    "RETENTION_FOLLOWER_DAYS": 180,  # a WeChat user who unfollowed and has no binding
    "RETENTION_CONSENT_DAYS": 1825,  # an ended consent: the proof it was given
    "RETENTION_ERASURE_DAYS": 1825,  # the record of a cancellation (no personal data in it)
}


EXTENSION_KEY = "settings"


def install(app: Flask):
    """Build the sections from the app's (flat) config, check them, and keep them on the app."""
    from .sections import build

    app.extensions[EXTENSION_KEY] = build(app.config)
    try:  # the keys of the encryption at rest, checked at start-up like the rest
        keyring = fieldcrypt.Keyring.from_config(app.config.get("DATA_KEYS", ""), app.config.get("DATA_LOOKUP_KEY", ""))
    except fieldcrypt.KeyConfigError as exc:
        raise ConfigError(str(exc)) from None
    fieldcrypt.install(app.extensions, keyring)
    return app.extensions[EXTENSION_KEY]


def update(app: Flask, **values) -> None:
    """Change flat settings after start-up (`sandbox run` pointing the service at its mock, tests pointing
    WeChat elsewhere): app.config and the sections are rebuilt together, so they never disagree."""
    app.config.update(values)
    install(app)


def of(app: Flask | None = None):
    """The sections (sections.Sections) of `app`, by default the current app."""
    return (app or current_app).extensions[EXTENSION_KEY]
