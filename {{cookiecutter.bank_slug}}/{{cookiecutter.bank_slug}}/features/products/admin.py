"""Wealth products (理财产品), head office only: list, create and edit with the products package's rules
(forms.py ProductForm), publish (在售) or close (停售), and a preview of the 理财 news reply exactly
as the chat builds it. Products are never deleted (群发 jobs and the audit log refer to them): close them."""

from flask import current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.model.template import EndpointLinkRowAction
from sqlalchemy import or_

from ...admin import audit
from ...admin.base import CATEGORY_CONTENT, StaffModelView
from ...admin.formatting import labelled, local_datetime
from ...extensions import db
from ...shared.i18n import _, _l
from ...shared.money import format_yield_range, format_yuan_compact
from .forms import ProductForm
from .models import STATUS_CLOSED, STATUS_LABELS, STATUS_ON_SALE, WealthProduct, bank_today, products_on_sale
from .news import news_articles, news_reply, risk_notice


def yields(view, context, model, name):
    return format_yield_range(model.yield_min_bp, model.yield_max_bp)


def yuan_amount(view, context, model, name):
    return format_yuan_compact(model.min_purchase_fen)


def sale_window(view, context, model, name):
    return f"{model.sale_start.isoformat()} ~ {model.sale_end.isoformat()}"


class ProductView(StaffModelView):
    head_office_only = True
    can_delete = False
    form = ProductForm
    column_list = ("code", "name", "risk_grade", "yield_min_bp", "term_days", "min_purchase_fen", "sale_start",
                   "status", "updated_at")
    column_details_list = ("id", "code", "name", "risk_grade", "yield_min_bp", "term_days", "min_purchase_fen",
                           "sale_start", "status", "description", "created_at", "updated_at")
    column_labels = {"id": _l("编号"), "code": _l("产品代码"), "name": _l("产品名称"), "risk_grade": _l("风险等级"),
                     "yield_min_bp": _l("预期年化收益率"), "term_days": _l("期限（天）"),
                     "min_purchase_fen": _l("起购金额（元）"), "sale_start": _l("销售期"), "status": _l("状态"),
                     "description": _l("产品说明"), "created_at": _l("创建时间"), "updated_at": _l("更新时间")}
    column_formatters = {"yield_min_bp": yields, "min_purchase_fen": yuan_amount, "sale_start": sale_window,
                         "status": labelled(STATUS_LABELS), "created_at": local_datetime,
                         "updated_at": local_datetime}
    column_sortable_list = ("code", "sale_start", "updated_at")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(WealthProduct.status, _l("状态"), options=tuple(STATUS_LABELS.items())),)
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-eye", ".preview_view", title=_l("预览图文回复"))]
    search_hint = _l("产品代码或名称")
    audit_target_type = "wealth_product"

    def search_clause(self, term):
        pattern = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return or_(WealthProduct.code.ilike(f"%{pattern}%", escape="\\"),
                   WealthProduct.name.ilike(f"%{pattern}%", escape="\\"))

    # -- publish / close ---------------------------------------------------------------------------------
    def _set_status(self, products, status: str) -> int:
        changed = 0
        for product in products:
            if product.status == status:
                continue
            before = self.audited_values(product)
            product.status = status
            audit.record("publish" if status == STATUS_ON_SALE else "close", self.target_type, product.id, before,
                         self.audited_values(product), commit=False)
            changed += 1
        db.session.commit()
        return changed

    def _selected(self, ids) -> list[WealthProduct]:
        keys = [key for key in (self._parse_pk(i) for i in ids) if key is not None]
        return list(self.get_query().filter(WealthProduct.id.in_(keys))) if keys else []

    def _warn_outside_window(self, products) -> None:
        today = bank_today()
        for product in products:
            if product.status == STATUS_ON_SALE and not product.on_sale(today):
                flash(_("注意：%(code)s 不在销售期内（%(start)s 至 %(end)s），客户暂时看不到它。", code=product.code,
                        start=product.sale_start.isoformat(), end=product.sale_end.isoformat()), "warning")

    @action("publish", _l("设为在售"), _l("确定将所选产品设为在售？客户回复「理财」即可看到。"))
    def action_publish(self, ids):
        products = self._selected(ids)
        flash(_("已将 %(n)s 个产品设为在售。", n=self._set_status(products, STATUS_ON_SALE)), "success")
        self._warn_outside_window(products)

    @action("close", _l("停售"), _l("确定停售所选产品？"))
    def action_close(self, ids):
        flash(_("已停售 %(n)s 个产品。", n=self._set_status(self._selected(ids), STATUS_CLOSED)), "success")

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        product = self.get_one(request.form.get("id"))
        if self._set_status([product], STATUS_ON_SALE):
            flash(_("%(code)s 已设为在售。", code=product.code), "success")
        self._warn_outside_window([product])
        return redirect(self.get_url(".preview_view", id=product.id), 303)

    # -- the news reply preview --------------------------------------------------------------------------
    @expose("/preview/")
    def preview_view(self):
        product = self.get_one(request.args.get("id"))
        base_url = current_app.config["PUBLIC_BASE_URL"]
        today = bank_today()
        on_sale = products_on_sale(today)
        reply = news_reply(on_sale, base_url, current_app.config["SERVICE_HOTLINE"])
        return self.render(
            "admin/product_preview.html",
            product=product,
            single=news_articles([product], base_url),
            reply_articles=reply if isinstance(reply, list) else [],
            reply_text=reply if isinstance(reply, str) else None,
            included=product in on_sale,
            on_sale_now=product.on_sale(today),
            risk_notice=risk_notice(),
            status_label=STATUS_LABELS.get(product.status, product.status),
            on_sale_count=len(on_sale),
        )


def add_views(admin) -> None:
    admin.add_view(ProductView(WealthProduct, name=_l("理财产品"), endpoint="products", category=CATEGORY_CONTENT))

