"""群发 (mass push), head office only: announce a product on sale to all followers or to a user tag.

A job's text is fixed when it is made; it goes first as a preview to the staff member's own WeChat (their
openid, set on this page); only a job whose preview succeeded can be submitted for review (待复核), and a
second head-office admin — never the author — approves it (then it is sent for real, once) or rejects it
with a reason (双人复核). The pages show this Beijing month's 群发 against WeChat's 4 a month. Everything
is audited (openids masked)."""

import re

from flask import abort, flash, redirect, request
from flask_admin import expose
from markupsafe import Markup, escape
from sqlalchemy import select

from ... import settings
from ...admin import audit
from ...admin.base import CATEGORY_CONTENT, MAX_ROW_ID, StaffView, current_staff, is_head_office
from ...extensions import db
from ...shared import dual_control
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ..products.service import WealthProduct, bank_today, products_on_sale
from .job_report import status_label
from .models import TARGET_ALL, MassPush
from .service import (
    MASS_PER_MONTH,
    PREVIEW_VALID_HOURS,
    RESULT_SENT,
    PushError,
    approve_and_send,
    create_job,
    month_quota,
    parse_target,
    send_preview,
    submit_for_review,
    target_label,
)
from .service import (
    reject as reject_job,
)

RECENT = 30
OPENID = re.compile(r"[A-Za-z0-9_-]{20,64}")
LINK = re.compile(r'<a href="(https?://[^"<>\s]+)">([^<>]*)</a>')
AUDITED = ("product_id", "media_id",
           "target", "preview_openid", "previewed_at", "sent_at", "msg_id", "result", "review_status",
           "submitted_by", "reviewed_by", "review_reason", "confirmed_filtered")


def as_wechat_shows(text: str) -> Markup:
    """A text message as WeChat shows it: escaped, except its <a href="http(s)://...">links</a>."""
    parts, last = [], 0
    for match in LINK.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{}" target="_blank" rel="noopener">{}</a>').format(match[1], match[2]))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _values(job: MassPush, content: bool = False) -> dict:
    values = {name: getattr(job, name) for name in AUDITED}
    if content:
        values["content"] = job.content
    return values


def _row_id(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ROW_ID \
        else None


class PushView(StaffView):
    head_office_only = True

    def _job(self, raw) -> MassPush | None:
        key = _row_id(raw)
        return db.session.get(MassPush, key) if key is not None else None

    def _index_page(self, error: str | None = None, status: int = 200, form: dict | None = None):
        jobs = db.session.execute(select(MassPush).order_by(MassPush.id.desc()).limit(RECENT)).scalars()
        staff = current_staff()
        return self.render("admin/push_index.html", products=products_on_sale(bank_today()), jobs=list(jobs),
                           error=error, form=form or {"target": TARGET_ALL}, target_label=target_label,
                           my_openid=mask_openid(staff.openid) if staff.openid else "", result_sent=RESULT_SENT,
                           quota=month_quota(TARGET_ALL), per_month=MASS_PER_MONTH, review_label=dual_control.label,
                           job_status_label=status_label), status

    @expose("/", methods=("GET",))
    def index(self):
        return self._index_page()

    @expose("/new/", methods=("POST",))
    def new(self):
        form = {"product_id": request.form.get("product_id", ""), "target": request.form.get("target", ""),
                "tag_id": request.form.get("tag_id", "")}
        product_key = _row_id(form["product_id"])
        product = db.session.get(WealthProduct, product_key) if product_key is not None else None
        try:
            target = parse_target(form["target"], form["tag_id"])
            job = create_job(product, target, current_staff().username, settings.of().brand)
        except PushError as exc:
            db.session.rollback()
            return self._index_page(str(exc), 400, form)
        audit.record("create", "mass_push", job.id, None, _values(job, content=True), commit=False)
        db.session.commit()
        return redirect(self.get_url(".job", id=job.id), 303)

    @expose("/job/", methods=("GET",))
    def job(self):
        job = self._job(request.args.get("id"))
        if job is None:
            abort(404)
        return self._job_page(job)

    def _job_page(self, job: MassPush, error: str | None = None, status: int = 200):
        staff = current_staff()
        return self.render("admin/push_job.html", job=job, target=target_label(job.target),
                           content=as_wechat_shows(job.content),
                           my_openid=mask_openid(staff.openid) if staff.openid else "",
                           preview_openid=mask_openid(job.preview_openid or ""), valid_hours=PREVIEW_VALID_HOURS,
                           result_sent=RESULT_SENT, quota=month_quota(job.target), per_month=MASS_PER_MONTH,
                           review_label=dual_control.label(job.review_status), pending=dual_control.PENDING,
                           approved=dual_control.APPROVED, error=error,
                           is_author=staff.username in (job.created_by, job.submitted_by),
                           job_status_label=status_label(job.job_status)), status

    def _act(self, name: str, step):
        job = self._job(request.form.get("id"))
        if job is None:
            flash(_("找不到该群发记录。"), "error")
            return redirect(self.get_url(".index"), 303)
        before = _values(job)
        db.session.commit()  # no transaction is held while WeChat is called
        try:
            step(job)
        except dual_control.ReviewRefused as exc:  # the author approving their own, or not head office
            db.session.rollback()
            job = db.session.get(MassPush, job.id)
            audit.record(f"{name}_refused", "mass_push", job.id, before, {"reason": str(exc)}, commit=True)
            return self._job_page(job, str(exc), 403)
        except (PushError, dual_control.ReviewStateError) as exc:
            db.session.rollback()
            job = db.session.get(MassPush, job.id)
            audit.record(f"{name}_failed", "mass_push", job.id, before, _values(job), commit=True)
            flash(str(exc), "error")
            return redirect(self.get_url(".job", id=job.id), 303)
        audit.record(name, "mass_push", job.id, before, _values(job), commit=True)
        return redirect(self.get_url(".job", id=job.id), 303)

    @expose("/preview/", methods=("POST",))
    def preview(self):
        def step(job):
            send_preview(job, current_staff().openid)
            db.session.commit()
            flash(_("预览已发送到您的微信（%(openid)s），请在手机上确认内容后再正式群发。",
                    openid=mask_openid(job.preview_openid)), "success")

        return self._act("mass_preview", step)

    @expose("/submit/", methods=("POST",))
    def submit(self):
        def step(job):
            submit_for_review(job, current_staff().username, request.form.get("confirm_filtered") == "1")
            db.session.commit()
            flash(_("已提交复核：请另一位总行管理员在本页复核通过后群发。"), "success")

        return self._act("mass_submit", step)

    @expose("/approve/", methods=("POST",))
    def approve(self):
        def step(job):
            staff = current_staff()
            approve_and_send(job, staff.username, is_head_office(staff), settings.of().brand,
                             request.form.get("confirm_filtered") == "1")
            flash(_("复核通过，已提交群发：%(target)s。微信会在几分钟内完成推送。", target=target_label(job.target)),
                  "success")

        return self._act("mass_approve", step)

    @expose("/reject/", methods=("POST",))
    def reject(self):
        def step(job):
            staff = current_staff()
            reject_job(job, staff.username, is_head_office(staff), request.form.get("reason"))
            db.session.commit()
            flash(_("已驳回该群发。"), "success")

        return self._act("mass_reject", step)

    @expose("/openid/", methods=("POST",))
    def openid(self):
        """The staff member's own openid, where previews go (a follower of the account)."""
        staff = current_staff()
        value = (request.form.get("openid") or "").strip()
        if value and not OPENID.fullmatch(value):
            return self._index_page(_("openid 格式不正确：应为 20 至 64 位字母、数字、_ 或 -。"), 400)
        before = {"openid": staff.openid}
        staff.openid = value or None
        audit.record("update", "staff_user", staff.id, before, {"openid": staff.openid}, commit=False)
        db.session.commit()
        flash(_("已保存您的预览微信 openid。") if value else _("已清除您的预览微信 openid。"), "success")
        return redirect(self.get_url(".index"), 303)


def add_views(admin) -> None:
    admin.add_view(PushView(name=_l("群发推送"), endpoint="push", category=CATEGORY_CONTENT))
