"""The privacy notice (隐私政策) and the separate consent (单独同意) to the sensitive personal information that card
binding collects (PIPL arts. 28-29): the notice's text and version come from the configuration, with a default
text; a consent names the version and the time; a binding may start only with a consent to the current version
(registered as a binding precondition); withdrawing the consent unbinds every card.

Other features use this through service.py."""

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...shared.errors import DomainError
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ...shared.timeutil import utcnow
from ..binding.service import PreconditionUnmet, unbind_all
from .models import PrivacyConsent

log = logging.getLogger(__name__)

SCOPE_BINDING = "binding"
CONSENT_PATH = "/h5/privacy/consent?next=/h5/bind"  # h5.privacy.consent_form, known outside a request too
ENDED_WITHDRAWN, ENDED_SUPERSEDED, ENDED_ERASED = "withdrawn", "superseded", "erased"
DEFAULT_VERSION = "2026.1"
UNBIND_REASON = "客户撤回个人信息处理同意（微信银行）"  # stored for the staff, not translated
MAX_NOTICE_BYTES = 64 * 1024


class ConsentError(DomainError):
    code = "consent_refused"
    message = _l("未能记录您的同意，请稍后再试。")


class ConsentMissing(ConsentError):
    code, message = "consent_missing", _l("请阅读并勾选“我已阅读并同意”后再继续；不同意将无法绑定银行卡。")


class NoticeChanged(ConsentError):
    code, message = "notice_changed", _l("隐私政策已更新，请阅读更新后的内容再确认。")


def notice_version(app=None) -> str:
    return str((app or current_app).config.get("PRIVACY_NOTICE_VERSION") or DEFAULT_VERSION)


def notice_paragraphs(app=None) -> list[str] | None:
    """The bank's own notice text (PRIVACY_NOTICE_FILE, UTF-8 plain text, paragraphs separated by blank lines),
    or None for the default text of the template. An unreadable file is logged and the default is shown."""
    path = (app or current_app).config.get("PRIVACY_NOTICE_FILE") or ""
    if not path:
        return None
    try:
        raw = Path(path).read_bytes()[:MAX_NOTICE_BYTES].decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.error("PRIVACY_NOTICE_FILE %s unreadable (%s): showing the default notice", path, type(exc).__name__)
        return None
    paragraphs = [" ".join(block.split()) for block in raw.replace("\r\n", "\n").split("\n\n")]
    return [p for p in paragraphs if p] or None


def consent_in_force(openid: str, scope: str = SCOPE_BINDING) -> PrivacyConsent | None:
    """The consent this openid has in force for the scope (any version), or None."""
    return db.session.execute(select(PrivacyConsent).where(
        PrivacyConsent.openid == openid, PrivacyConsent.scope == scope,
        PrivacyConsent.withdrawn_at.is_(None))).scalar_one_or_none()


def has_current_consent(openid: str, scope: str = SCOPE_BINDING) -> bool:
    consent = consent_in_force(openid, scope)
    return consent is not None and consent.notice_version == notice_version()


def require_binding_consent(openid: str) -> None:
    """The binding precondition: a consent to the current notice version, else PreconditionUnmet."""
    if not has_current_consent(openid):
        consent = consent_in_force(openid)
        message = (_("隐私政策已更新，请阅读并重新确认后再绑定银行卡。") if consent is not None else
                   _("绑定银行卡需要收集您的银行卡号、姓名、身份证号和手机号，请先阅读并单独同意。"))
        raise PreconditionUnmet(message, CONSENT_PATH)


def give_consent(openid: str, version_seen: str | None, agreed: bool, scope: str = SCOPE_BINDING) -> PrivacyConsent:
    """Record the consent to the version the customer saw. Refused (nothing stored) without the tick, or when the
    notice changed since the page was shown. The same consent twice (a double submission) records one."""
    if not agreed:
        raise ConsentMissing()
    version = notice_version()
    if (version_seen or "").strip() != version:
        raise NoticeChanged()
    existing = consent_in_force(openid, scope)
    if existing is not None and existing.notice_version == version:
        return existing
    now = utcnow()
    if existing is not None:
        existing.withdrawn_at, existing.ended_reason = now, ENDED_SUPERSEDED
        db.session.flush()
    consent = PrivacyConsent(openid=openid, scope=scope, notice_version=version, granted_at=now)
    db.session.add(consent)
    try:
        db.session.commit()
    except IntegrityError:  # the same submission a moment ago, in another worker
        db.session.rollback()
        found = consent_in_force(openid, scope)
        if found is None:
            raise
        return found
    log.info("consent %s v%s recorded for %s", scope, version, mask_openid(openid))
    return consent


def withdraw_consent(openid: str, scope: str = SCOPE_BINDING, reason: str = ENDED_WITHDRAWN) -> int:
    """End the consent and unbind every card (the service cannot work without what was consented to), in one
    commit. Returns how many cards were unbound; 0 and no change when no consent was in force."""
    unbound = unbind_all(openid, UNBIND_REASON)
    ended = db.session.execute(update(PrivacyConsent).where(
        PrivacyConsent.openid == openid, PrivacyConsent.scope == scope, PrivacyConsent.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), ended_reason=reason)).rowcount
    db.session.commit()
    if ended or unbound:
        log.info("consent %s withdrawn for %s: %d card(s) unbound", scope, mask_openid(openid), len(unbound))
    return len(unbound)


def install(app) -> None:
    """Setup hook: binding asks for the consent before it starts."""
    from ..binding.service import add_precondition

    add_precondition(app, require_binding_consent)
