"""The custom menu (自定义菜单), head office only: edit it as JSON with a preview of its buttons, save versions
and publish one through the WeChat API. Nothing is stored when the JSON breaks WeChat's rules; every save
and publish is audited. The command line (`flask wechat push-menu`) publishes the newest published version."""

import json

from flask import current_app, flash, redirect, request
from flask_admin import expose
from sqlalchemy import select

from ...admin import audit
from ...admin.base import CATEGORY_CONTENT, MAX_ROW_ID, StaffView, current_staff
from ...extensions import db
from ...shared.i18n import _, _l
from ...wechat.menu import REQUIRED_FIELD, MenuError
from .models import MenuVersion
from .service import RESULT_OK, latest_version, menu_to_publish, parse_menu_text, publish_version, save_version

HISTORY = 20
TYPE_LABELS = {"click": _l("点击推事件"), "view": _l("跳转网页"), "miniprogram": _l("小程序")}
ACTIONS = ("check", "save", "publish")


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
            "publish_result": version.publish_result}


class MenuView(StaffView):
    head_office_only = True

    def _base_url(self) -> str:
        return current_app.config["PUBLIC_BASE_URL"]

    def _page(self, text: str, errors: list[str] | None = None, status: int = 200):
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
                           history=list(history), live_source=live, result_ok=RESULT_OK), status

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
        db.session.commit()  # stored before WeChat is called: no transaction is held over the network
        if action == "publish":
            self._publish(version)
            db.session.commit()
        else:
            flash(_("已保存为菜单版本 #%(id)s（尚未发布）。", id=version.id), "success")
        return redirect(self.get_url(".index"), 303)

    @expose("/publish/", methods=("POST",))
    def publish(self):
        raw = request.form.get("id") or ""
        version = db.session.get(MenuVersion, int(raw)) if raw.isascii() and raw.isdigit() and 0 < int(
            raw) <= MAX_ROW_ID else None
        if version is None:
            flash(_("找不到该菜单版本。"), "error")
            return redirect(self.get_url(".index"), 303)
        self._publish(version)
        db.session.commit()
        return redirect(self.get_url(".index"), 303)

    def _publish(self, version: MenuVersion) -> None:
        before = _version_values(version)
        db.session.commit()  # end the read transaction before calling WeChat
        published = publish_version(version, self._base_url())
        audit.record("publish" if published else "publish_failed", "wechat_menu_version", version.id, before,
                     _version_values(version), commit=False)
        if published:
            flash(_("菜单版本 #%(id)s 已发布到微信，客户重新进入公众号即可看到（最长约 5 分钟）。", id=version.id),
                  "success")
        else:
            flash(_("菜单版本 #%(id)s 发布失败：%(reason)s", id=version.id, reason=version.publish_result), "error")


def add_views(admin) -> None:
    admin.add_view(MenuView(name=_l("自定义菜单"), endpoint="menu", category=CATEGORY_CONTENT))
