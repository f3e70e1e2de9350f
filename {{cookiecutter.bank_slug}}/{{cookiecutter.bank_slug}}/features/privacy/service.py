"""Personal information rules: 我的信息 (what the service keeps about a WeChat user, and a copy to download) and
注销微信银行服务 (cancellation: unbind everything, erase what may be erased, keep what the audit and the law require,
and say which). Other features use privacy through this module only.

A cancellation is one database transaction: it is refused (nothing changes) while a transfer, a complaint or a
request is still open, and a failure part-way rolls everything back, so the personal data is never half erased.
The record of it (privacy_erasure) names the person only by a keyed hash of the openid."""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ...extensions import db
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import mask_card, mask_name, mask_openid, mask_phone, scrub
from ...shared.money import format_yuan
from ...shared.timeutil import local_time, utcnow
from ...wechat import behind
from ..binding.service import unbind_all
from . import consent as consents
from .inventory import BY_TABLE, KEEP, NOT_CUSTOMER_DATA, Kind
from .models import ErasureRecord, PrivacyConsent

__all__ = ["ErasureBlocked", "ErasureFailed", "Section", "blockers", "erase", "export", "records",
           "subject_hash"]

log = logging.getLogger(__name__)

ERASE_UNBIND_REASON = "客户注销微信银行服务"  # stored for the staff, not translated
MAX_ROWS_SHOWN = 200  # per kind on the page; the download has them all

LABELS = {
    "card_mask": _l("卡号"), "from_card_masked": _l("付款卡"), "status": _l("状态"), "bound_at": _l("绑定时间"),
    "unbound_at": _l("解绑时间"), "sms_phone": _l("短信手机号"), "created_at": _l("时间"), "scope": _l("用途"),
    "notice_version": _l("政策版本"), "granted_at": _l("同意时间"), "withdrawn_at": _l("结束时间"),
    "ended_reason": _l("结束原因"), "enabled": _l("开启"), "min_amount_fen": _l("起点金额（元）"),
    "sms_fallback": _l("短信补发"), "updated_at": _l("更新时间"), "single_fen": _l("单笔限额（元）"),
    "daily_fen": _l("日累计限额（元）"), "payee_number": _l("收款账号"), "payee_name": _l("收款人"),
    "amount_fen": _l("金额（元）"), "ticket_no": _l("投诉编号"), "category": _l("类别"),
    "description": _l("内容"), "reference": _l("编号"), "kind": _l("类型"), "day": _l("日期"),
    "topic": _l("通知类型"), "state": _l("发送状态"), "occurred_at": _l("发生时间"), "msg_type": _l("消息类型"),
    "event": _l("事件"), "received_at": _l("收到时间"), "subscribed": _l("关注中"), "subscribed_at": _l("关注时间"),
    "unsubscribed_at": _l("取消关注时间"), "language": _l("语言"), "label": _l("位置"),
}
MASKERS = {"card": mask_card, "phone": mask_phone, "name": mask_name, "text": scrub}


class ErasureBlocked(DomainError):
    """Something is still open: the customer is told what, and that nothing was changed."""

    code = "erasure_blocked"

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(_("暂时不能注销：%(reasons)s。请待其办结后再申请，本次未做任何更改。",
                           reasons="；".join(reasons)))
        self.reasons = reasons


class ErasureFailed(DomainError):
    code, message = "erasure_failed", _l("注销未能完成，您的信息未做任何更改，请稍后再试或到网点办理。")


@dataclass
class Section:
    table: str
    title: str
    columns: list[tuple[str, str]]  # (column, label)
    rows: list[dict]  # column -> display text
    count: int
    action: str
    why: str


def subject_hash(openid: str) -> str:
    """The keyed hash naming a person in the erasure record (HMAC-SHA256, the lookup key of the encryption at
    rest when configured, else SECRET_KEY)."""
    keyring = current_app.extensions.get("fieldcrypt")
    if keyring is not None:
        return keyring.lookup_hash("openid", openid)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"openid:{openid}".encode(), hashlib.sha256).hexdigest()


# -- what is kept ------------------------------------------------------------------------------------------
def customer_tables() -> list[Table]:
    """Every table with an openid column that holds a customer's data, in dependency order."""
    return [table for table in db.metadata.sorted_tables
            if "openid" in table.c and table.name not in NOT_CUSTOMER_DATA]


def _kind(table: Table) -> Kind:
    return BY_TABLE.get(table.name) or Kind(table.name, table.name)


def retention_days(table_name: str) -> int | None:
    from .retention import RETENTION_KEYS

    key = RETENTION_KEYS.get(table_name)
    return int(current_app.config[key]) if key else None


def _why(kind: Kind) -> str:
    if not kind.why:
        return ""
    return str(kind.why) % {"days": retention_days(kind.table) or "-"}


def _display(column: str, value, masker: str | None, labels: dict | None = None) -> str:
    if value is None or value == "":
        return "-"
    if labels and value in labels:
        return str(labels[value])
    if masker:
        return MASKERS[masker](str(value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return local_time(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if column.endswith("_fen") and isinstance(value, int):
        return format_yuan(value)
    return scrub(str(value))  # defence in depth: nothing in clear that looks like a card, ID or phone number


def _columns(table: Table, kind: Kind) -> list[str]:
    if kind.show:
        return [name for name in kind.show if name in table.c]
    return [column.name for column in table.c if column.name not in ("openid", "id")]


def records(openid: str, limit: int | None = MAX_ROWS_SHOWN) -> list[Section]:
    """What the service keeps about this openid, kind by kind (masked for display); kinds without rows left out."""
    behind.flush(db.engine)  # the windows and replies this process has queued are kept too
    sections = []
    for table in customer_tables():
        kind = _kind(table)
        count = db.session.scalar(select(func.count()).select_from(table).where(table.c.openid == openid))
        if not count:
            continue
        columns = _columns(table, kind)
        query = select(*(table.c[name] for name in columns)).where(table.c.openid == openid)
        if kind.order_by and kind.order_by in table.c:
            query = query.order_by(table.c[kind.order_by].desc())
        if limit:
            query = query.limit(limit)
        rows = [{name: _display(name, row[index], kind.mask.get(name), kind.values.get(name))
                 for index, name in enumerate(columns)}
                for row in db.session.execute(query)]
        sections.append(Section(table.name, str(kind.title), [(name, str(LABELS.get(name, name))) for name in columns],
                                rows, int(count), kind.action, _why(kind)))
    return sections


def export(openid: str) -> str:
    """The copy to download (PIPL art. 45): JSON, every kind and row, masked as on the page."""
    sections = records(openid, limit=None)
    document = {
        "bank": current_app.config.get("BANK_NAME") or "",
        "generated_at": local_time(utcnow()).isoformat(timespec="seconds"),
        "wechat_user": mask_openid(openid),
        "note": _("银行卡号、手机号、证件号码按规定只显示部分号码；完整信息可携带身份证件到网点查询。"
                  "本文件不含核心系统中的账户与交易明细。"),
        "records": [{"kind": section.table, "title": section.title, "count": section.count,
                     "on_cancellation": section.action, "kept_because": section.why,
                     "rows": [{label: row[name] for name, label in section.columns} for row in section.rows]}
                    for section in sections],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


# -- cancellation ------------------------------------------------------------------------------------------
def blockers(openid: str) -> list[str]:
    """Why the service cannot be cancelled now (empty: it can)."""
    reasons = []
    for table in customer_tables():
        kind = _kind(table)
        if kind.blocking is None:
            continue
        column, statuses, reason = kind.blocking
        open_rows = db.session.scalar(select(func.count()).select_from(table).where(
            table.c.openid == openid, table.c[column].in_(statuses)))
        if open_rows:
            reasons.append(str(reason))
    return reasons


def _delete_with_dependents(table: Table, where) -> int:
    """Delete rows and, first, the rows of other tables that reference them (any depth)."""
    for child in db.metadata.sorted_tables:
        for foreign_key in child.foreign_keys:
            if foreign_key.column.table is table and child is not table:
                referenced = select(foreign_key.column).where(where)
                _delete_with_dependents(child, foreign_key.parent.in_(referenced))
    return db.session.execute(delete(table).where(where)).rowcount or 0


def erase(openid: str) -> dict:
    """Cancel the WeChat bank service for this openid: refuse (ErasureBlocked) while something is open; else
    unbind every card, end the consent, erase every ERASE kind, blank the scrubbed columns of the KEEP kinds,
    and record it, in one commit. Returns {"erased": {table: rows}, "kept": [{table, title, count, why}]}."""
    behind.flush(db.engine)  # a queued window must not bring a row back after the erasure
    reasons = blockers(openid)
    if reasons:
        raise ErasureBlocked(reasons)
    erased, kept = {}, []
    try:
        unbind_all(openid, ERASE_UNBIND_REASON)
        db.session.execute(update(PrivacyConsent).where(PrivacyConsent.openid == openid,
                                                        PrivacyConsent.withdrawn_at.is_(None))
                           .values(withdrawn_at=utcnow(), ended_reason=consents.ENDED_ERASED))
        db.session.flush()
        for table in reversed(customer_tables()):
            kind = _kind(table)
            where = table.c.openid == openid
            if kind.action == KEEP:
                count = db.session.scalar(select(func.count()).select_from(table).where(where))
                if count:
                    if kind.scrub:
                        db.session.execute(update(table).where(where).values({name: None for name in kind.scrub}))
                    kept.append({"table": table.name, "title": str(kind.title), "count": int(count),
                                 "why": _why(kind)})
            else:
                rows = _delete_with_dependents(table, where)
                if rows:
                    erased[table.name] = rows
        summary = {"erased": erased, "kept": [{"table": k["table"], "count": k["count"]} for k in kept]}
        db.session.add(ErasureRecord(subject_hash=subject_hash(openid), requested_at=utcnow(),
                                     summary=json.dumps(summary, sort_keys=True)))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("cancellation for %s failed and was rolled back", mask_openid(openid))
        raise ErasureFailed() from None
    log.info("service cancelled for %s: erased %s, kept %s", mask_openid(openid), erased,
             [k["table"] for k in kept])
    return {"erased": erased, "kept": kept}

