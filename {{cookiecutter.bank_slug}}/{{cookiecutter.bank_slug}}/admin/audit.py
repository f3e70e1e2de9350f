"""Writing the admin audit log: `record(action, target_type, target_id, before, after)`.

Call it from any admin write (model views do it for you in base.StaffModelView). `before`/`after` are
dicts of the record's values; card, phone and ID numbers, names and openids are masked, and secrets
(password hashes, PINs, codes, tokens) are dropped before anything is stored.
"""

import json
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request

from ..extensions import db
from ..shared.masking import mask_card, mask_id_number, mask_name, mask_openid, mask_phone, scrub
from ..shared.timeutil import utcnow
from .audit_models import AuditLog

# A column is masked by the first rule its name matches; `pii=` in record() adds or overrides names.
SECRET_PARTS = {"password", "pin", "secret", "token", "hash", "salt", "captcha", "otp"}  # parts of a_b_c names
CARD_NAMES = {"card_number", "card", "payee_number", "counterparty_account", "account_number"}
PHONE_NAMES = {"phone", "mobile", "sms_phone", "reserved_phone"}
ID_NAMES = {"id_number", "id_card", "identity_number"}
OPENID_NAMES = {"openid", "to_openid", "preview_openid"}
PERSON_NAMES = {"holder_name", "payee_name", "customer_name", "display_name", "real_name", "counterparty",
                "counterparty_name"}
# Plain `name` is a person's name only on these targets (a product or a branch keeps its name).
PERSON_TARGETS = {"customer", "bank_customer", "staff_user", "admin_staff_user"}
MASKERS = {"card": mask_card, "phone": mask_phone, "id_number": mask_id_number, "name": mask_name,
           "openid": mask_openid}
CURRENT = object()  # record(staff=...) default: the logged-in staff user
MAX_TEXT = 2000  # a long text value (a product description) is cut in the log


def _kind(key: str, target_type: str, pii: dict[str, str]) -> str | None:
    name = key.lower()
    if name in pii:
        return pii[name]
    if SECRET_PARTS & set(name.split("_")) or "password" in name:
        return "secret"
    if name in CARD_NAMES or name.endswith(("card_number", "card_mask", "card_masked")):
        return "card"
    if name in PHONE_NAMES or name.endswith("_phone"):
        return "phone"
    if name in ID_NAMES:
        return "id_number"
    if name in OPENID_NAMES or name.endswith("_openid"):
        return "openid"
    if name in PERSON_NAMES or (name == "name" and target_type in PERSON_TARGETS):
        return "name"
    return None


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    text = scrub(str(value))  # free text: any card, ID or mobile number in it is masked too
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def mask_values(values: dict | None, target_type: str = "", pii: dict[str, str] | None = None) -> dict | None:
    """A copy of `values` safe to store and show: PII masked, secrets dropped."""
    if values is None:
        return None
    rules = {k.lower(): v for k, v in (pii or {}).items()}
    safe = {}
    for key, value in values.items():
        kind = _kind(str(key), target_type, rules)
        if kind == "secret":
            continue
        if kind in MASKERS and value is not None:
            value = MASKERS[kind](str(value))
        safe[str(key)] = _plain(value)
    return safe


def _json(values: dict | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


def client_ip() -> str:
    return (request.remote_addr or "")[:45] if has_request_context() else ""


def record(action: str, target_type: str, target_id, before: dict | None = None, after: dict | None = None, *,
           staff=CURRENT, actor_username: str | None = None, pii: dict[str, str] | None = None,
           commit: bool = True) -> AuditLog:
    """Add one audit row. `staff` defaults to the logged-in staff user (None: nobody, e.g. a failed login,
    then `actor_username` names who tried). With commit=True (the default) the
    row and everything else pending in the session are committed; pass commit=False to let the caller's
    own commit carry it (same transaction as the change it describes)."""
    if staff is CURRENT:
        from .base import current_staff

        staff = current_staff()
    entry = AuditLog(
        at=utcnow(),
        staff_id=staff.id if staff is not None else None,
        staff_username=(staff.username if staff is not None else (actor_username or ""))[:64],
        action=action[:32],
        target_type=(target_type or "")[:32],
        target_id=str("" if target_id is None else target_id)[:64],
        before=_json(mask_values(before, target_type, pii)),
        after=_json(mask_values(after, target_type, pii)),
        ip=client_ip(),
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry
