"""The marketing pages of the admin panel:

* 营销人群 (head office): build a segment from its criteria, see who it reaches now (and how many WeChat would
  filter for the 4-a-month rule), and make a 群发 of a product on sale to it — the job then goes through the
  群发 page's preview and 双人复核 like any other;
* 意向客户跟进 (every branch, scoped): the consenting customers who opened a product's page twice, and the
  branch's record of having contacted them.
Every write is audited (openids masked)."""

import hashlib
import hmac
from datetime import timedelta

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ... import settings
from ...admin import audit, stats
from ...admin.base import CATEGORY_CONTENT, MAX_ROW_ID, StaffView, current_staff, is_head_office, staff_branch_code
from ...core_banking.models import Branch
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.masking import mask_openid
from ...shared.timeutil import utcnow
from ..products.service import WealthProduct, bank_today, products_on_sale
from ..pushes.service import PushError
from ..qrcodes.service import KINDS, QrCode
from . import articles, figures, interest
from .models import (
    BOUND_ANY,
    BOUND_NO,
    BOUND_YES,
    SOURCE_CODE_PREFIX,
    SOURCE_KIND_PREFIX,
    SOURCE_NONE,
    Article,
    Segment,
)
from .segments import SegmentError, check_sendable, save_segment, select_members
from .sending import article_push, create_segment_push

BOUND_LABELS = {BOUND_ANY: _l("不限"), BOUND_YES: _l("已绑卡"), BOUND_NO: _l("未绑卡")}
KIND_LABELS = {"branch": _l("网点二维码"), "staff": _l("员工二维码"), "campaign": _l("活动二维码")}
AUDITED = ("name", "branch_code", "bound", "source", "wechat_tag_id", "product_id", "active_days", "tag_id")
FIELDS = ("name", "branch_code", "bound", "source", "wechat_tag_id", "product_id", "active_days")


def _row_id(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ROW_ID \
        else None


def _values(segment: Segment) -> dict:
    return {name: getattr(segment, name) for name in AUDITED}


def source_choices() -> list[tuple[str, str]]:
    choices = [("", _("不限")), (SOURCE_NONE, _("未经本行二维码"))]
    choices += [(f"{SOURCE_KIND_PREFIX}{kind}", str(KIND_LABELS[kind])) for kind in KINDS]
    codes = db.session.execute(select(QrCode).order_by(QrCode.id.desc()).limit(200)).scalars()
    choices += [(f"{SOURCE_CODE_PREFIX}{code.id}", _("二维码：%(name)s", name=code.name)) for code in codes]
    return choices


class SegmentView(StaffView):
    head_office_only = True

    def _page(self, error: str | None = None, status: int = 200, form: dict | None = None,
              segment: Segment | None = None, selection=None):
        segments = list(db.session.execute(select(Segment).order_by(Segment.id.desc())).scalars())
        branches = list(db.session.execute(select(Branch).order_by(Branch.code)).scalars())
        products = list(db.session.execute(select(WealthProduct).order_by(WealthProduct.code)).scalars())
        return self.render("admin/marketing_segments.html", segments=segments, branches=branches,
                           products=products, on_sale=products_on_sale(bank_today()), sources=source_choices(),
                           bound_labels=BOUND_LABELS, form=form or {"bound": BOUND_ANY}, error=error,
                           segment=segment, selection=selection), status

    @expose("/", methods=("GET",))
    def index(self):
        segment = self._segment(request.args.get("id"))
        selection, error = None, None
        if segment is not None:
            try:
                selection = select_members(segment)
            except SegmentError as exc:
                error = exc.message
            form = {name: ("" if getattr(segment, name) is None else str(getattr(segment, name))) for name in FIELDS}
            return self._page(error, 200, form, segment, selection)
        return self._page()

    def _segment(self, raw) -> Segment | None:
        key = _row_id(raw)
        return db.session.get(Segment, key) if key is not None else None

    @expose("/save/", methods=("POST",))
    def save(self):
        form = {name: request.form.get(name, "") for name in FIELDS}
        segment = self._segment(request.form.get("id"))
        before = _values(segment) if segment is not None else None
        try:
            segment = save_segment(form, current_staff().username, segment)
        except SegmentError as exc:
            db.session.rollback()
            return self._page(exc.message, 400, form)
        audit.record("update" if before else "create", "marketing_segment", segment.id, before, _values(segment),
                     commit=False)
        db.session.commit()
        flash(_("人群已保存。"), "success")
        return redirect(self.get_url(".index", id=segment.id), 303)

    @expose("/push/", methods=("POST",))
    def push(self):
        """A 群发 of a product on sale to the segment: refused with the reason before anything is sent."""
        segment = self._segment(request.form.get("id"))
        if segment is None:
            abort(404)
        key = _row_id(request.form.get("product_id"))
        product = db.session.get(WealthProduct, key) if key is not None else None
        db.session.commit()  # no transaction is held while WeChat is called
        try:
            check_sendable(select_members(segment))
            job = create_segment_push(segment, product, current_staff().username, settings.of().brand)
        except (SegmentError, PushError) as exc:
            db.session.rollback()
            segment = db.session.get(Segment, segment.id)
            audit.record("segment_push_refused", "marketing_segment", segment.id, None,
                         {"reason": exc.message}, commit=True)
            flash(exc.message, "error")
            return redirect(self.get_url(".index", id=segment.id), 303)
        audit.record("segment_push", "marketing_segment", segment.id, None,
                     {"mass_push": job.id, "tag_id": segment.tag_id, "members": segment.synced_count}, commit=False)
        db.session.commit()
        flash(_("已为人群「%(name)s」生成群发（%(n)s 位关注用户）：请预览并提交复核。", name=segment.name,
                n=segment.synced_count), "success")
        return redirect(url_for("push.job", id=job.id), 303)


def row_key(openid: str, product_id: int) -> str:
    """The page's handle on a listed customer: an HMAC, so the openid never leaves the server."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"follow-up:{openid}:{product_id}".encode(), hashlib.sha256).hexdigest()[:32]


class FollowUpView(StaffView):
    """Head office sees every branch; a branch operator their branch's customers only."""

    def _branch(self) -> str | None:
        return None if is_head_office() else (staff_branch_code() or "")

    @expose("/", methods=("GET",))
    def index(self):
        rows = interest.follow_up_list(self._branch())
        return self.render("admin/marketing_followup.html", rows=rows, mask_openid=mask_openid, row_key=row_key,
                           head_office=is_head_office(), views=interest.INTEREST_VIEWS, days=interest.INTEREST_DAYS)

    @expose("/contacted/", methods=("POST",))
    def contacted(self):
        key = str(request.form.get("key") or "")
        listed = {row_key(row.openid, row.product.id): (row.openid, row.product.id)
                  for row in interest.follow_up_list(self._branch())}
        openid, product_id = listed.get(key, (None, None))
        if openid is None:
            flash(_("该客户不在本网点的跟进名单中（可能已撤回营销联系授权）。"), "error")
            return redirect(self.get_url(".index"), 303)
        try:
            row = interest.mark_contacted(openid, product_id, current_staff().username, request.form.get("note"))
        except ValueError:
            db.session.rollback()
            flash(_("备注最多 %(n)s 个字。", n=interest.NOTE_MAX), "error")
            return redirect(self.get_url(".index"), 303)
        if row is None:  # a second submit of the same form
            flash(_("已记录跟进。"), "success")
            return redirect(self.get_url(".index"), 303)
        try:
            db.session.flush()
        except IntegrityError:  # two staff at once: the other one recorded it
            db.session.rollback()
            return redirect(self.get_url(".index"), 303)
        audit.record("contacted", "marketing_follow_up", row.id, None,
                     {"openid": mask_openid(openid), "product_id": product_id, "note": row.note}, commit=False)
        db.session.commit()
        flash(_("已记录跟进。"), "success")
        return redirect(self.get_url(".index"), 303)


VIEW_DAYS = 30
EXPORTS = {"follows": "FOLLOW_COLUMNS", "mass": "MASS_COLUMNS", "product_views": "VIEW_COLUMNS",
           "article_reads": "READ_COLUMNS"}


class FiguresView(StaffView):
    """营销数据 (head office): the tables behind the dashboard's charts, each exportable as CSV."""

    head_office_only = True

    def _data(self) -> dict:
        return {"follows": [day.as_row() for day in figures.follows_by_day(stats.last_days(VIEW_DAYS))][::-1],
                "mass": figures.mass_rows(),
                "product_views": figures.product_views(utcnow() - timedelta(days=VIEW_DAYS)),
                "article_reads": figures.article_reads()}

    @expose("/", methods=("GET",))
    def index(self):
        data = self._data()
        return self.render("admin/marketing_figures.html", data=data, days=VIEW_DAYS,
                           totals=figures.mass_totals(data["mass"]))

    @expose("/fetch-reads/", methods=("POST",))
    def fetch_reads(self):
        """Ask WeChat's data API now (the daily `flask marketing fetch-reads` does it too)."""
        try:
            stored = articles.fetch_recent_reads()
        except articles.ArticleError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".index"), 303)
        audit.record("fetch_reads", "marketing_figures", "article_reads", None, {"rows": stored}, commit=False)
        db.session.commit()
        flash(_("已获取图文阅读数据 %(n)s 条。", n=stored), "success")
        return redirect(self.get_url(".index"), 303)

    @expose("/<table>.csv", methods=("GET",))
    def export(self, table: str):
        if table not in EXPORTS:
            abort(404)
        columns = getattr(figures, EXPORTS[table])
        body = figures.csv_text(self._data()[table], columns)
        audit.record("export", "marketing_figures", table, None, {"rows": body.count("\n") - 1}, commit=True)
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="marketing-{table}-{utcnow():%Y%m%d}.csv"'})


ARTICLE_FIELDS = ("title", "author", "digest", "body", "source_url", "thumb_media_id", "keyword")
ARTICLE_AUDITED = (*ARTICLE_FIELDS, "status", "media_id", "publish_id", "article_id", "url", "result")


def _article_values(article) -> dict:
    return {name: getattr(article, name) for name in ARTICLE_AUDITED}


class ArticleView(StaffView):
    """图文素材库 (head office): write, save to WeChat's draft box, preview, publish; keyword replies."""

    head_office_only = True

    def _article(self, raw) -> Article | None:
        key = _row_id(raw)
        return db.session.get(Article, key) if key is not None else None

    def _page(self, article=None, form=None, error=None, status=200):
        rows = list(db.session.execute(select(Article).order_by(Article.id.desc()).limit(100)).scalars())
        last_cover = db.session.scalar(select(Article.thumb_media_id).order_by(Article.id.desc()).limit(1))
        if form is None:
            form = ({name: getattr(article, name) or "" for name in ARTICLE_FIELDS} if article is not None
                    else {"thumb_media_id": last_cover or ""})
        return self.render("admin/marketing_articles.html", articles=rows, article=article, form=form, error=error,
                           status_labels=articles.STATUS_LABELS, limits=articles), status

    @expose("/", methods=("GET",))
    def index(self):
        return self._page(self._article(request.args.get("id")))

    @expose("/save/", methods=("POST",))
    def save(self):
        article = self._article(request.form.get("id"))
        form = {name: request.form.get(name, "") for name in ARTICLE_FIELDS}
        before = _article_values(article) if article is not None else None
        try:
            article = articles.save(form, current_staff().username, article)
        except articles.ArticleError as exc:
            db.session.rollback()
            return self._page(self._article(request.form.get("id")), form, exc.message, 400)
        audit.record("update" if before else "create", "marketing_article", article.id, before,
                     _article_values(article), commit=False)
        db.session.commit()
        flash(_("图文已保存。"), "success")
        return redirect(self.get_url(".index", id=article.id), 303)

    @expose("/preview/", methods=("GET",))
    def preview(self):
        article = self._article(request.args.get("id"))
        if article is None:
            abort(404)
        segments = list(db.session.execute(select(Segment).order_by(Segment.name)).scalars())
        return self.render("admin/marketing_article_preview.html", article=article,
                           content=Markup(articles.content_html(article)), digest=articles.content_digest(article),
                           status_labels=articles.STATUS_LABELS, segments=segments,
                           mass_sent=articles.mass_sent(article))

    @expose("/mass/", methods=("POST",))
    def mass(self):
        """A 群发 of the saved, previewed article to all followers or a segment: then preview and 双人复核."""
        article = self._article(request.form.get("id"))
        if article is None:
            abort(404)
        key = _row_id(request.form.get("segment_id"))
        segment = db.session.get(Segment, key) if key is not None else None
        db.session.commit()
        try:
            job = article_push(article, segment, request.form.get("previewed"), current_staff().username)
        except (articles.ArticleError, SegmentError, PushError) as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".preview", id=article.id), 303)
        audit.record("article_mass", "marketing_article", article.id, None,
                     {"mass_push": job.id, "target": job.target}, commit=False)
        db.session.commit()
        flash(_("已生成图文群发：请预览并提交复核。"), "success")
        return redirect(url_for("push.job", id=job.id), 303)

    def _act(self, name: str, step):
        article = self._article(request.form.get("id"))
        if article is None:
            abort(404)
        before = _article_values(article)
        db.session.commit()  # no transaction is held while WeChat is called
        try:
            step(article)
        except articles.ArticleError as exc:
            db.session.rollback()
            article = db.session.get(Article, article.id)
            audit.record(f"{name}_failed", "marketing_article", article.id, before, {"reason": exc.message},
                         commit=True)
            flash(exc.message, "error")
            return redirect(self.get_url(".preview", id=article.id), 303)
        audit.record(name, "marketing_article", article.id, before, _article_values(article), commit=False)
        db.session.commit()
        return redirect(self.get_url(".preview", id=article.id), 303)

    @expose("/wechat-draft/", methods=("POST",))
    def wechat_draft(self):
        def step(article):
            articles.save_to_wechat(article)
            flash(_("已存入微信草稿箱，请在预览中核对后发布。"), "success")

        return self._act("article_draft", step)

    @expose("/publish/", methods=("POST",))
    def publish(self):
        def step(article):
            articles.publish(article, request.form.get("previewed"))
            done = article.status == "published"
            flash(_("已发布。") if done else _("发布任务已提交，稍后刷新查看结果。"), "success")

        return self._act("article_publish", step)

    @expose("/refresh/", methods=("POST",))
    def refresh(self):
        return self._act("article_refresh", articles.refresh)


def add_views(admin) -> None:
    admin.add_view(SegmentView(name=_l("营销人群"), endpoint="marketing_segments", category=CATEGORY_CONTENT))
    admin.add_view(ArticleView(name=_l("图文素材库"), endpoint="marketing_articles", category=CATEGORY_CONTENT))
    admin.add_view(FiguresView(name=_l("营销数据"), endpoint="marketing_figures", category=CATEGORY_CONTENT))
    admin.add_view(FollowUpView(name=_l("意向客户跟进"), endpoint="marketing_followup", category=CATEGORY_CONTENT))
