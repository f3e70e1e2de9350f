"""Account alerts (动账提醒): read-only list and detail filtered by state, masked, scoped to the accounts bound
at the operator's branch; undeliverable alerts can be put back in the queue ("重新投递", audited)."""

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import or_

from ...admin import audit
from ...admin.base import CATEGORY_BUSINESS, MAX_ROW_ID, StaffModelView, staff_branch_code
from ...admin.formatting import labelled, local_datetime, masked_openid, yuan
from ...outbox.delivery_report import status_label
from ...shared.i18n import _, _l
from ...shared.masking import scrub
from .dashboard import alerts_of
from .models import DELIVERED, EXPIRED, PENDING, REASON_LABELS, SENDING, SMS, UNDELIVERABLE, Alert
from .service import retry_undeliverable

STATE_LABELS = {
    PENDING: _l("待发送"),
    SENDING: _l("发送中"),
    DELIVERED: _l("已送达"),
    SMS: _l("已短信通知"),
    UNDELIVERABLE: _l("无法送达"),
    EXPIRED: _l("已过期"),
}
KIND_LABELS = {
    "transfer_in": _l("转入"), "transfer_out": _l("转出"), "deposit": _l("存入"), "withdrawal": _l("支取"),
    "purchase": _l("消费"), "refund": _l("退款"), "fee": _l("手续费"), "interest": _l("利息"),
    "salary": _l("代发工资"), "other": _l("其他"),
}
AUDITED = ("state", "final_reason", "attempts", "last_error")


def scrubbed(view, context, model, name):
    return scrub(getattr(model, name, None) or "")


def delivery_result(view, context, model, name):
    """WeChat's TEMPLATESENDJOBFINISH status of a template message, in the staff's language."""
    return status_label(getattr(model, name, None))


class AlertView(StaffModelView):
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("id", "occurred_at", "account_id", "kind", "amount_fen", "state", "final_reason", "attempts",
                   "channel", "delivery_status", "openid")
    column_details_list = ("id", "source", "source_txn_id", "occurred_at", "account_id", "kind", "amount_fen",
                           "balance_after_fen", "counterparty", "memo", "state", "final_reason", "attempts",
                           "last_error", "channel", "openid", "msgid", "delivery_status", "delivery_reported_at",
                           "next_attempt_at", "created_at", "finished_at")
    column_labels = {"id": _l("编号"), "source": _l("来源"), "source_txn_id": _l("交易流水号"),
                     "occurred_at": _l("交易时间"), "account_id": _l("账户"), "kind": _l("交易类型"),
                     "amount_fen": _l("金额（元）"), "balance_after_fen": _l("交易后余额（元）"),
                     "counterparty": _l("对方"), "memo": _l("摘要"), "state": _l("状态"),
                     "final_reason": _l("未送达原因"), "attempts": _l("尝试次数"), "last_error": _l("最近错误"),
                     "channel": _l("渠道"), "openid": _l("微信用户"), "msgid": _l("消息编号"),
                     "next_attempt_at": _l("下次尝试"), "created_at": _l("创建时间"), "finished_at": _l("结束时间"),
                     "delivery_status": _l("送达结果"), "delivery_reported_at": _l("送达结果时间")}
    column_formatters = {"occurred_at": local_datetime, "kind": labelled(KIND_LABELS), "amount_fen": yuan,
                         "balance_after_fen": yuan, "counterparty": scrubbed, "memo": scrubbed,
                         "state": labelled(STATE_LABELS), "final_reason": labelled(REASON_LABELS),
                         "last_error": scrubbed, "openid": masked_openid, "next_attempt_at": local_datetime,
                         "created_at": local_datetime, "finished_at": local_datetime,
                         "delivery_status": delivery_result, "delivery_reported_at": local_datetime}
    column_sortable_list = ("id", "occurred_at", "amount_fen", "attempts")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(Alert.state, _l("状态"), options=tuple(STATE_LABELS.items())),)
    search_hint = _l("编号、账户或交易流水号")
    audit_target_type = "alert"

    def scope_query(self, query):
        code = staff_branch_code()
        return query.filter(alerts_of(code)) if code else super().scope_query(query)

    def search_clause(self, term):
        conditions = [Alert.account_id == term, Alert.source_txn_id == term]
        if term.isascii() and term.isdigit() and len(term) <= 10 and 0 < int(term) <= MAX_ROW_ID:
            conditions.append(Alert.id == int(term))
        return or_(*conditions)

    @action("retry", _l("重新投递"), _l("确定将所选的「无法送达」提醒重新放入发送队列？"))
    def action_retry(self, ids):
        keys = [key for key in (self._parse_pk(i) for i in ids) if key is not None]
        alerts = list(self.get_query().filter(Alert.id.in_(keys), Alert.state == UNDELIVERABLE)) if keys else []
        for alert in alerts:  # the audit rows are committed together with the retry
            before = {name: getattr(alert, name) for name in AUDITED}
            audit.record("retry", self.target_type, alert.id, before,
                         {"state": PENDING, "final_reason": None, "attempts": 0, "last_error": alert.last_error},
                         commit=False)
        retried = retry_undeliverable([alert.id for alert in alerts]) if alerts else 0
        skipped = len(ids) - retried
        flash(_("已重新投递 %(n)s 条提醒。", n=retried), "success" if retried else "warning")
        if skipped > 0:
            flash(_("%(n)s 条不是「无法送达」状态（或不在您的权限范围内），未处理。", n=skipped), "warning")


def add_views(admin) -> None:
    admin.add_view(AlertView(Alert, name=_l("动账提醒"), endpoint="alerts", category=CATEGORY_BUSINESS))
