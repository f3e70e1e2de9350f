"""The custom menu edited in the admin panel: saving a version, publishing it, and which menu to publish.

A version goes out only after 双人复核 (shared/dual_control.py): its author submits it (待复核), and another
head-office admin approves it (then it is published) or rejects it with a reason.

Which menu `flask wechat push-menu` and `sandbox run` publish (the first that exists wins):
1. the newest version saved in the admin panel that was approved and that WeChat accepted (published there);
2. the JSON file WECHAT_MENU_FILE;
3. the built-in default (default.py).
A version saved but never approved and published (a draft, one waiting for review, a rejected one, or one WeChat
refused) is never published from the command line.
"""

import json
import logging
from dataclasses import dataclass

import requests
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from wechatpy.exceptions import WeChatClientException

from ...extensions import db
from ...shared import dual_control
from ...shared.i18n import _
from ...shared.timeutil import utcnow
from ...wechat.client import get_client
from ...wechat.menu import MenuError, absolute_urls, validate_menu
from .default import load_menu
from .models import MenuVersion

log = logging.getLogger(__name__)

MAX_MENU_JSON_CHARS = 20_000
RESULT_OK = "ok"


@dataclass(frozen=True)
class ChosenMenu:
    menu: dict  # validated, URLs absolute
    source: str  # for people: where it came from
    version_id: int | None = None


def parse_menu_text(text: str | None, base_url: str) -> tuple[dict, dict]:
    """(the menu as entered, the menu to publish with absolute URLs); MenuError in Chinese when unfit."""
    text = (text or "").strip()
    if not text:
        raise MenuError([_("请填写菜单 JSON")])
    if len(text) > MAX_MENU_JSON_CHARS:
        raise MenuError([_("菜单 JSON 过长（最多 %(n)s 个字符）", n=MAX_MENU_JSON_CHARS)])
    try:
        entered = json.loads(text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", "?"), getattr(exc, "colno", "?")
        problem = _("不是合法的 JSON：第 %(line)s 行第 %(column)s 列附近有误", line=line, column=column)
        raise MenuError([problem]) from None
    if not isinstance(entered, dict):
        raise MenuError([_("菜单须为 JSON 对象，形如 {\"button\": [...]}")])
    menu = absolute_urls(entered, base_url)
    validate_menu(menu)
    return entered, menu


def save_version(text: str | None, base_url: str, staff_username: str) -> MenuVersion:
    """A new version from the JSON text; MenuError (and nothing stored) when it breaks WeChat's rules."""
    entered, _menu = parse_menu_text(text, base_url)
    version = MenuVersion(menu_json=json.dumps(entered, ensure_ascii=False, indent=2), created_by=staff_username)
    db.session.add(version)
    db.session.flush()
    return version


def version_menu(version: MenuVersion, base_url: str) -> dict:
    """The version as it is published: URLs joined to PUBLIC_BASE_URL, validated again."""
    return parse_menu_text(version.menu_json, base_url)[1]


def publish_version(version: MenuVersion, base_url: str) -> bool:
    """Create the approved menu at WeChat; the outcome is written on the version (the caller commits). Call it
    with no write transaction open: the access token store may need its own (SQLite allows one writer)."""
    if version.review_status != dual_control.APPROVED:
        version.publish_result = _("菜单须经另一位总行管理员复核通过后才能发布")
        return False
    try:
        get_client().menu.create(version_menu(version, base_url))
    except MenuError as exc:
        version.publish_result = ("；".join(exc.problems))[:300]
        return False
    except WeChatClientException as exc:
        version.publish_result = _("微信拒绝了菜单：%(code)s %(message)s", code=exc.errcode, message=exc.errmsg)[:300]
        return False
    except requests.RequestException as exc:
        version.publish_result = _("无法连接微信接口（%(kind)s）", kind=type(exc).__name__)
        return False
    version.published_at = utcnow()
    version.publish_result = RESULT_OK
    return True


def latest_version() -> MenuVersion | None:
    return db.session.execute(select(MenuVersion).order_by(MenuVersion.id.desc()).limit(1)).scalar_one_or_none()


def latest_published() -> MenuVersion | None:
    query = (select(MenuVersion).where(MenuVersion.published_at.is_not(None),
                                       MenuVersion.review_status == dual_control.APPROVED)
             .order_by(MenuVersion.published_at.desc(), MenuVersion.id.desc()).limit(1))
    try:
        return db.session.execute(query).scalar_one_or_none()
    except (OperationalError, ProgrammingError):  # a database not migrated yet has no admin menu
        db.session.rollback()
        log.warning("menu versions unavailable (run `flask init-db`); using the file or default menu")
        return None


def menu_to_publish(config) -> ChosenMenu:
    """The menu the command line publishes, by the precedence in this module's docstring."""
    version = latest_published()
    if version is not None:
        return ChosenMenu(version_menu(version, config["PUBLIC_BASE_URL"]),
                          _("管理后台发布的菜单版本 #%(id)s", id=version.id), version.id)
    source = config.get("WECHAT_MENU_FILE") or ""
    return ChosenMenu(load_menu(config), _("菜单文件 %(path)s", path=source) if source else _("默认菜单"))


# -- 双人复核 ----------------------------------------------------------------------------------------------

def submit_version(version: MenuVersion, staff_username: str) -> None:
    """The author sends a draft to review (待复核); ReviewStateError when it is not a draft. The caller commits."""
    if version.review_status is not None:
        raise dual_control.ReviewStateError(
            _("该菜单版本已提交过复核（当前：%(state)s）", state=dual_control.label(version.review_status)))
    version.review_status, version.submitted_by, version.submitted_at = dual_control.PENDING, staff_username, utcnow()


def copy_version(version: MenuVersion, staff_username: str) -> MenuVersion:
    """A new draft with an older version's menu (a rollback goes through review again)."""
    copied = MenuVersion(menu_json=version.menu_json, created_by=staff_username)
    db.session.add(copied)
    db.session.flush()
    return copied


def check_may_review(version: MenuVersion, reviewer: str, is_head_office: bool) -> None:
    dual_control.check_reviewer((version.created_by, version.submitted_by), reviewer, is_head_office)
    if version.review_status == dual_control.APPROVED and version.published_at is None:
        return  # approved, but WeChat refused it or could not be reached: the reviewer may try again
    dual_control.check_pending(version.review_status)


def approve_and_publish(version: MenuVersion, reviewer: str, is_head_office: bool, base_url: str) -> bool:
    """A second head-office admin approves: the version is published (see publish_version; the caller
    commits the outcome). ReviewRefused for the author, ReviewStateError when it is not waiting."""
    check_may_review(version, reviewer, is_head_office)
    version.review_status, version.reviewed_by, version.reviewed_at = dual_control.APPROVED, reviewer, utcnow()
    db.session.commit()  # the approval stands whatever WeChat answers; no transaction is held over the network
    return publish_version(version, base_url)


def reject_version(version: MenuVersion, reviewer: str, is_head_office: bool, reason: str | None) -> None:
    """The reviewer refuses the version with a reason (final); ValueError for a missing reason. The caller commits."""
    dual_control.check_reviewer((version.created_by, version.submitted_by), reviewer, is_head_office)
    dual_control.check_pending(version.review_status)
    text = dual_control.clean_reason(reason)
    version.review_status, version.reviewed_by, version.reviewed_at = dual_control.REJECTED, reviewer, utcnow()
    version.review_reason = text
