"""`flask check-deploy`: every setting, and every row of demo data, that is still at a demo or sandbox value.

A production service must not run with any of the `blocker` findings (the command exits 1 when there is
one); `advice` findings are allowed for a pilot but say what a bank usually changes. The checks read the
configuration the service would run with (the environment and .env) and the database it points at.
"""

from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from . import settings
from .core_banking.models import Customer, id_number_key
from .extensions import db
from .shared import demo_data, fieldcrypt

BLOCKER, ADVICE = "blocker", "advice"
DEMO_DOMAINS = (".example", ".example.cn", ".example.com", ".test", ".invalid", ".localhost")
MIN_SECRET_KEY = 32


@dataclass(frozen=True)
class Finding:
    level: str
    setting: str
    problem: str
    fix: str


def _config_findings(config) -> list[Finding]:
    found = []
    sections = settings.of(current_app)
    wechat = sections.wechat
    if wechat.sandbox:
        found.append(Finding(BLOCKER, "WECHAT_SANDBOX",
                             "沙箱模式：服务连接的是模拟微信接口 sandbox mode: the mock WeChat API",
                             "WECHAT_SANDBOX=0，并填写公众号的 WECHAT_APP_ID / WECHAT_APP_SECRET"))
    if not wechat.app_secret:
        found.append(Finding(BLOCKER, "WECHAT_APP_SECRET", "未填写 AppSecret the AppSecret is empty",
                             "公众平台「设置与开发 → 基本配置」中的 AppSecret"))
    if wechat.sandbox_api_url and not wechat.sandbox:
        found.append(Finding(ADVICE, "WECHAT_SANDBOX_API_URL", "仍指向模拟接口 still points at the mock",
                             "删除该变量 remove it"))
    secret_key = str(config.get("SECRET_KEY") or "")
    if len(secret_key) < MIN_SECRET_KEY:
        found.append(Finding(BLOCKER, "SECRET_KEY", f"少于 {MIN_SECRET_KEY} 个字符 shorter than {MIN_SECRET_KEY}",
                             "python -c 'import secrets; print(secrets.token_urlsafe(48))'"))
    domain = str(config.get("PUBLIC_DOMAIN") or "").lower()
    if not domain or domain.endswith(DEMO_DOMAINS) or domain in {"localhost", "127.0.0.1"}:
        found.append(Finding(BLOCKER, "PUBLIC_DOMAIN",
                             f"示例或本机域名 an example or local domain: {domain or '(empty)'}",
                             "公众号服务器地址所用的正式域名（已备案、有 TLS 证书）"))
    sender = sections.sms.sender
    if sender == "sandbox":
        found.append(Finding(BLOCKER, "SMS_SENDER", "沙箱短信：验证码只显示在模拟器里 sandbox SMS",
                             "配置行内短信平台或短信服务商，见 docs/sms.md"))
    if sections.core.adapter == "ledger":
        found.append(Finding(ADVICE, "CORE_BANKING_ADAPTER",
                             "内置账本（演示、试点用）the built-in ledger (demo, pilot)",
                             "CORE_BANKING_ADAPTER=http 并配置 CORE_BANKING_URL，见 docs/core-banking.md"))
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        found.append(Finding(ADVICE, "DATABASE_URL", "SQLite：只适合单机试点 SQLite: a single-host pilot only",
                             "PostgreSQL，见 docs/deployment.md"))
    if not wechat.redis_url:
        found.append(Finding(ADVICE, "REDIS_URL", "未配置 Redis：令牌与去重存在数据库中 no Redis",
                             "多台服务器时配置 REDIS_URL"))
    if not str(config.get("METRICS_TOKEN") or ""):
        found.append(Finding(ADVICE, "METRICS_TOKEN", "/metrics 未设访问令牌 /metrics has no token",
                             "设置 METRICS_TOKEN，或只在内网开放 /metrics"))
    if current_app.debug:
        found.append(Finding(BLOCKER, "FLASK_DEBUG", "调试模式已开启 debug mode is on", "FLASK_DEBUG=0"))
    found += _data_key_findings()
    return found


def _data_key_findings() -> list[Finding]:
    """The keys of the encryption at rest (shared/fieldcrypt.py): missing means the public demo key."""
    keyring = fieldcrypt.current()
    found = []
    make = "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"
    if keyring.demo_keks:
        found.append(Finding(BLOCKER, "DATA_KEYS", "未配置：卡号、手机号、证件号用公开的演示密钥加密 "
                             "missing: personal data is encrypted with the public demo key",
                             f"DATA_KEYS=k1:<{make}>，再运行 flask privacy rotate-keys（docs/compliance.md）"))
    if keyring.demo_lookup:
        found.append(Finding(BLOCKER, "DATA_LOOKUP_KEY", "未配置：查找用的密钥是公开的演示密钥 "
                             "missing: the lookup hashes use the public demo key",
                             f"DATA_LOOKUP_KEY=<{make}>（须在存入客户数据之前设定 set it before any customer data）"))
    return found


def _data_findings() -> list[Finding]:
    """Demo rows (seed-demo's customers and their published PIN) in the database."""
    numbers = [demo_data.id_number(birth, sequence) for _, birth, sequence, *_ in demo_data.CUSTOMERS]
    try:
        # seeded under this installation's lookup key, or under the demo key before DATA_LOOKUP_KEY was set
        demo_ring = fieldcrypt.Keyring.demo()
        hashes = [id_number_key(n) for n in numbers] + [demo_ring.lookup_hash("id_number", n) for n in numbers]
        demo_customers = db.session.execute(select(func.count(Customer.id)).where(
            Customer.id_number_hash.in_(hashes))).scalar_one()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return [Finding(BLOCKER, "DATABASE_URL", f"数据库无法读取 the database cannot be read: {type(exc).__name__}",
                        "flask init-db，并检查 DATABASE_URL")]
    if demo_customers:
        return [Finding(BLOCKER, "seed-demo", f"数据库中有 {demo_customers} 位演示客户（演示交易密码已公开） "
                        f"{demo_customers} demo customers with the published demo PIN",
                        "生产库不要运行 seed-demo；使用新的空数据库，或由 DBA 删除演示数据")]
    return []


def findings() -> list[Finding]:
    return _config_findings(current_app.config) + _data_findings()


@click.command("check-deploy")
@with_appcontext
def check_deploy() -> None:
    """List every setting and demo row still at a demo or sandbox value; exit 1 if any blocks go-live."""
    found = findings()
    for item in found:
        mark = "✘ 必须修改 MUST FIX" if item.level == BLOCKER else "• 建议 ADVICE"
        click.echo(f"{mark}  {item.setting}: {item.problem}\n      → {item.fix}")
    blockers = sum(item.level == BLOCKER for item in found)
    if blockers:
        click.echo(f"\n{blockers} 项必须修改后才能上线 {blockers} finding(s) block go-live.")
        raise SystemExit(1)
    click.echo("\n✔ 没有演示或沙箱设置 No demo or sandbox settings left." if not found else
               "\n✔ 无阻断项，请逐条确认建议 Nothing blocks go-live; review the advice.")
