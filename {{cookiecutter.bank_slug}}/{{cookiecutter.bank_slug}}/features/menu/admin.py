"""The custom menu (自定义菜单), head office only: edit it as JSON with a preview of its buttons, save versions,
submit one for review, and a second head-office admin (never the author) approves it — then it is published
through the WeChat API — or rejects it with a reason (双人复核). Nothing is stored when the JSON breaks
WeChat's rules; every save, submission, review and publication is audited. The command line
(`flask wechat push-menu`) publishes the newest approved and published version."""

import json

from flask import current_app, flash, redirect, request
from flask_admin import expose
from sqlalchemy import select

from ...admin import audit
from ...admin.base import CATEGORY_CONTENT, MAX_ROW_ID, StaffView, current_staff, is_head_office
from ...extensions import db
from ...shared import dual_control
from ...shared.i18n import _, _l
from ...wechat.menu import REQUIRED_FIELD, MenuError
from .models import MenuVersion
from .service import (
    RESULT_OK,
    approve_and_publish,
    copy_version,
    latest_version,
    menu_to_publish,
    parse_menu_text,
    reject_version,
    save_version,
    submit_version,
)

HISTORY = 20
TYPE_LABELS = {"click": _l("点击推事件"), "view": _l("跳转网页"), "miniprogram": _l("小程序")}
ACTIONS = ("check", "save", "submit")


def preview_buttons(menu: dict) -> list[dict]:
    """The menu as the template draws it: name, what it does, and the sub-buttons."""

    def one(button: dict) -> dict:
        kind = button.get("type", "")
        field = REQUIRED_FIELD.get(kind, "key")
        return {"name": button.get("name", ""), "type": str(TYPE_LABELS.get(kind, kind)),
                "target": button.get("url") if kind in ("view", "miniprogram") else button.get(field, "")}

    buttons = []
    for button in menu.get("button", []):
        subs = button.get("sub_button") or []
        if subs:
            buttons.append({"name": button.get("name", ""), "type": "", "target": "", "subs": [one(s) for s in subs]})
        else:
            buttons.append({**one(button), "subs": []})
    return buttons


def _version_values(version: MenuVersion) -> dict:
    return {"menu_json": version.menu_json, "published_at": version.published_at,
            "publish_result": version.publish_result, "review_status": version.review_status,
            "submitted_by": version.submitted_by, "reviewed_by": version.reviewed_by,
            "review_reason": version.review_reason}


class MenuView(StaffView):
    head_office_only = True

    def _base_url(self) -> str:
        return current_app.config["PUBLIC_BASE_URL"]

    def _page(self, text: str, errors: list[str] | None = None, status: int = 200, error: str | None = None):
        preview = None
        if not errors:
            try:
                preview = preview_buttons(parse_menu_text(text, self._base_url())[1])
            except MenuError as exc:
                errors = exc.problems
        try:
            live = menu_to_publish(current_app.config).source
        except MenuError:
            live = None
        history = db.session.execute(select(MenuVersion).order_by(MenuVersion.id.desc()).limit(HISTORY)).scalars()
        return self.render("admin/menu_edit.html", text=text, errors=errors or [], preview=preview,
                           history=list(history), live_source=live, result_ok=RESULT_OK, error=error,
                           review_label=dual_control.label, pending=dual_control.PENDING,
                           approved=dual_control.APPROVED, me=current_staff().username), status

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.method == "GET":
            latest = latest_version()
            if latest is not None:
                text = latest.menu_json
            else:
                try:
                    text = json.dumps(menu_to_publish(current_app.config).menu, ensure_ascii=False, indent=2)
                except MenuError:
                    text = ""
            return self._page(text)
        action = request.form.get("action")
        text = request.form.get("menu_json") or ""
        if action not in ACTIONS:
            return self._page(text, [_("未知的操作")], 400)
        try:
            parse_menu_text(text, self._base_url())
        except MenuError as exc:
            return self._page(text, exc.problems, 400)
        if action == "check":
            flash(_("菜单校验通过（尚未保存）。"), "success")
            return self._page(text)
        staff = current_staff()
        version = save_version(text, self._base_url(), staff.username)
        audit.record("create", "wechat_menu_version", version.id, None, _version_values(version), commit=False)
        if action == "submit":
            before = _version_values(version)
            submit_version(version, staff.username)
            audit.record("submit", "wechat_menu_version", version.id, before, _version_values(version), commit=False)
            flash(_("已保存为菜单版本 #%(id)s 并提交复核：请另一位总行管理员复核通过后发布。", id=version.id),
                  "success")
        else:
            flash(_("已保存为菜单版本 #%(id)s（尚未发布）。", id=version.id), "success")
        db.session.commit()
        return redirect(self.get_url(".index"), 303)

    def _version(self) -> MenuVersion | None:
        raw = request.form.get("id") or ""
        return db.session.get(MenuVersion, int(raw)) if raw.isascii() and raw.isdigit() and 0 < int(
            raw) <= MAX_ROW_ID else None

    def _review_step(self, name: str, step):
        """Run one review step on the version named by the form; refusals are audited and explained."""
        version = self._version()
        if version is None:
            flash(_("找不到该菜单版本。"), "error")
            return redirect(self.get_url(".index"), 303)
        before = _version_values(version)
        db.session.commit()  # end the read transaction before calling WeChat
        try:
            then = step(version)  # an action audited after this step's own (the publication)
        except dual_control.ReviewRefused as exc:  # the author approving their own, or not head office
            db.session.rollback()
            audit.record(f"{name}_refused", "wechat_menu_version", version.id, before, {"reason": str(exc)})
            return self._page(version.menu_json, status=403, error=str(exc))
        except (dual_control.ReviewStateError, ValueError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(self.get_url(".index"), 303)
        audit.record(name, "wechat_menu_version", version.id, before, _version_values(version), commit=False)
        if then:
            audit.record(then, "wechat_menu_version", version.id, None, _version_values(version), commit=False)
        db.session.commit()
        return redirect(self.get_url(".index"), 303)

    @expose("/submit/", methods=("POST",))
    def submit(self):
        def step(version):
            submit_version(version, current_staff().username)
            flash(_("菜单版本 #%(id)s 已提交复核。", id=version.id), "success")

        return self._review_step("submit", step)

    @expose("/resubmit/", methods=("POST",))
    def resubmit(self):
        """An older version again (a rollback): a new version with its menu, submitted for review."""
        old = self._version()
        if old is None:
            flash(_("找不到该菜单版本。"), "error")
            return redirect(self.get_url(".index"), 303)
        staff = current_staff()
        version = copy_version(old, staff.username)
        audit.record("create", "wechat_menu_version", version.id, None, {**_version_values(version),
                                                                         "copied_from": old.id}, commit=False)
        before = _version_values(version)
        submit_version(version, staff.username)
        audit.record("submit", "wechat_menu_version", version.id, before, _version_values(version), commit=False)
        db.session.commit()
        flash(_("已按版本 #%(old)s 新建菜单版本 #%(id)s 并提交复核。", old=old.id, id=version.id), "success")
        return redirect(self.get_url(".index"), 303)

    @expose("/approve/", methods=("POST",))
    def approve(self):
        def step(version):
            staff = current_staff()
            published = approve_and_publish(version, staff.username, is_head_office(staff), self._base_url())
            if published:
                flash(_("复核通过：菜单版本 #%(id)s 已发布到微信，客户重新进入公众号即可看到（最长约 5 分钟）。",
                        id=version.id), "success")
            else:
                flash(_("复核通过，但菜单版本 #%(id)s 发布失败：%(reason)s", id=version.id,
                        reason=version.publish_result), "error")
            return "publish" if published else "publish_failed"

        return self._review_step("approve", step)

    @expose("/reject/", methods=("POST",))
    def reject(self):
        def step(version):
            staff = current_staff()
            reject_version(version, staff.username, is_head_office(staff), request.form.get("reason"))
            flash(_("已驳回菜单版本 #%(id)s。", id=version.id), "success")

        return self._review_step("reject", step)


def add_views(admin) -> None:
    admin.add_view(MenuView(name=_l("自定义菜单"), endpoint="menu", category=CATEGORY_CONTENT))
