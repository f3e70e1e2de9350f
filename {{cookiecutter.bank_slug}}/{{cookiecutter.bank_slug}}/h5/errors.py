"""The H5 pages' error answers, once for every feature's pages: a page with a title, a reason a customer
understands and a way back, never a traceback.

Domain errors (shared/errors.py) carry a stable code and no HTTP status: STATUS_BY_CODE gives the H5 pages'
status for a code, once for every feature, DEFAULT_STATUS (400) for any code it does not list."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from ..shared.errors import DomainError
from ..shared.i18n import _
from ..web import errors

HALL = "/h5/"

DEFAULT_STATUS = 400  # a refusal the customer can act on: the form again, with the reason
STATUS_BY_CODE = {
    "core_unavailable": 503,  # the core (or a provider) cannot be reached: try again later
    "sms_not_sent": 503,
    "challenge_not_found": 404,
    "card_bound_elsewhere": 409,
    "order_conflict": 409,
    "idempotency_conflict": 409,
    "card_not_owned": 403,
    "repayment_conflict": 409,
    "repayment_card_not_owned": 403,
    "too_many_attempts": 429,
    "resend_too_soon": 429,
    "too_many_sends": 429,
    "bind_throttled": 429,
    "payee_checks_exhausted": 429,
    "pin_locked": 423,
    "binding_precondition": 403,  # e.g. the separate consent to the sensitive information not given
    "consent_missing": 400,
    "notice_changed": 409,
    "erasure_blocked": 409,
    "erasure_failed": 503,
}


def status_of(error: DomainError) -> int:
    """The H5 status of a domain error, by its code."""
    return STATUS_BY_CODE.get(error.code, DEFAULT_STATUS)


def refusal_page(title: str, error: DomainError, retry: str | None = None):
    """The error page for a domain refusal: its message, its code's status."""
    return error_page(title, error.message, status_of(error), retry)


def error_page(title: str, reason: str, status: int, retry: str | None = None):
    return render_template("h5/error.html", title=title, reason=reason, retry=retry or HALL), status


def _same_page_or_hall() -> str:
    """Where to start again: the page the request was for when it can be opened (GET), else the hall."""
    try:
        request.url_rule.map.bind("").match(request.path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return HALL
    return request.path


def csrf_refused(error: CSRFError):
    reason = _("页面安全校验未通过（缺少或过期的校验码），本次请求未处理，请返回重新提交。")
    return error_page(_("请求已失效"), reason, 400, _same_page_or_hall())


def not_found(error):
    """403 / 404 / 405 under /h5 (an unknown page, a forged link): a page, not Flask's English default."""
    return error_page(_("页面不存在"), _("您访问的页面不存在。"), 404 if error.code == 405 else error.code)


def install(app, bp) -> None:
    bp.register_error_handler(CSRFError, csrf_refused)
    errors.family(app, "/h5/", not_found)
