"""The H5 pages' error answers, once for every feature's pages: a page with a title, a reason a customer
understands and a way back, never a traceback."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from ..shared.i18n import _
from ..web import errors

HALL = "/h5/"


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
