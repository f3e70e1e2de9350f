"""带参数二维码: the codes staff had WeChat create (permanent per branch or staff member, temporary per
campaign), a form to create one and the PNG download. A branch operator sees and creates only their branch's
codes (their branch, its staff, its campaigns); every creation is audited."""

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from sqlalchemy import select

from ...admin import audit
from ...admin.base import CATEGORY_CONTENT, MAX_ROW_ID, StaffView, current_staff, is_head_office, staff_branch_id
from ...admin.models import StaffUser
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from . import service
from .models import KIND_BRANCH, KIND_CAMPAIGN, KIND_STAFF, QrCode, QrScan

LIST_LIMIT = 200
RECENT_SCANS = 50
KIND_LABELS = {KIND_BRANCH: _l("网点"), KIND_STAFF: _l("员工"), KIND_CAMPAIGN: _l("活动（临时）")}
EVENT_LABELS = {"subscribe": _l("扫码关注"), "scan": _l("已关注扫码")}


def code_values(code: QrCode) -> dict:
    return {"kind": code.kind, "name": code.name, "scene": code.scene, "action_name": code.action_name,
            "branch_id": code.branch_id, "staff_id": code.staff_id, "expire_seconds": code.expire_seconds,
            "expires_at": code.expires_at.isoformat() if code.expires_at else None}


def _row_id(raw) -> int | None:
    raw = str(raw or "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ROW_ID else None


class QrCodeView(StaffView):
    """Head office and branch operators; scope by branch."""

    def _scoped(self, query):
        if is_head_office():
            return query
        branch_id = staff_branch_id()
        return query.where(QrCode.branch_id == branch_id) if branch_id is not None else query.where(False)

    def _branches(self):
        query = select(Branch).where(Branch.closed_at.is_(None)).order_by(Branch.code)
        if not is_head_office():
            query = query.where(Branch.id == (staff_branch_id() or -1))
        return list(db.session.scalars(query))

    def _staff(self):
        query = select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.username)
        if not is_head_office():
            query = query.where(StaffUser.branch_id == (staff_branch_id() or -1))
        return list(db.session.scalars(query))

    def _page(self, form: dict | None = None, errors: list[str] | None = None, status: int = 200):
        codes = list(db.session.scalars(self._scoped(select(QrCode)).order_by(QrCode.id.desc()).limit(LIST_LIMIT)))
        scans_query = select(QrScan, QrCode).join(QrCode, QrScan.code_id == QrCode.id)
        scans = db.session.execute(self._scoped(scans_query).order_by(QrScan.id.desc()).limit(RECENT_SCANS)).all()
        recent = [{"openid": mask_openid(scan.openid), "event": str(EVENT_LABELS.get(scan.event, scan.event)),
                   "code": code.name, "scene": scan.scene, "at": scan.occurred_at, "first": scan.first_touch}
                  for scan, code in scans]
        return self.render("admin/qrcodes.html", codes=codes, recent=recent, branches=self._branches(),
                           staff=self._staff(), form=form or {}, errors=errors or [], kind_labels=KIND_LABELS,
                           is_expired=service.is_expired, max_expire=service.MAX_EXPIRE_SECONDS), status

    @expose("/")
    def index(self):
        return self._page()

    @expose("/create/", methods=("POST",))
    def create(self):
        form = {key: (request.form.get(key) or "").strip() for key in
                ("kind", "name", "branch_id", "staff_id", "campaign", "expire_days")}
        kind = form["kind"]
        branch = staff = None
        expire_seconds = None
        errors = []
        if kind == KIND_BRANCH:
            branch_id = _row_id(form["branch_id"])
            branch = next((b for b in self._branches() if b.id == branch_id), None)
            if branch is None:
                errors.append(_("请选择网点。"))
        elif kind == KIND_STAFF:
            staff_id = _row_id(form["staff_id"])
            staff = next((s for s in self._staff() if s.id == staff_id), None)
            if staff is None:
                errors.append(_("请选择员工。"))
        elif kind == KIND_CAMPAIGN:
            days = form["expire_days"]
            if not (days.isascii() and days.isdigit() and 1 <= int(days) <= 30):
                errors.append(_("有效期须为 1 到 30 天。"))
            else:
                expire_seconds = int(days) * 86400
        else:
            errors.append(_("未知的二维码类型。"))
        if errors:
            return self._page(form, errors, 400)
        try:
            code = service.create_code(kind, name=form["name"], created_by=current_staff().username, branch=branch,
                                       staff=staff, campaign=form["campaign"], expire_seconds=expire_seconds)
        except service.QrCodeError as exc:
            db.session.rollback()
            return self._page(form, [str(exc)], 400)
        if kind == KIND_CAMPAIGN and not is_head_office():
            code.branch_id = staff_branch_id()
        audit.record("create", "qrcode_code", code.id, None, code_values(code), commit=False)
        db.session.commit()
        flash(_("已创建二维码 #%(id)s「%(name)s」。", id=code.id, name=code.name), "success")
        return redirect(self.get_url(".index"), 303)

    @expose("/<int:code_id>/qrcode.png")
    def download(self, code_id: int):
        code = None
        if code_id <= MAX_ROW_ID:
            code = db.session.scalar(self._scoped(select(QrCode).where(QrCode.id == code_id)))
        if code is None:
            abort(404)
        try:
            png = service.fetch_png(code)
        except service.QrCodeError as exc:
            flash(str(exc), "error")
            return redirect(self.get_url(".index"), 303)
        filename = f"qrcode-{code.id}.png"
        return Response(png, mimetype="image/png",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def add_views(admin) -> None:
    admin.add_view(QrCodeView(name=_l("带参数二维码"), endpoint="qrcodes", category=CATEGORY_CONTENT))
