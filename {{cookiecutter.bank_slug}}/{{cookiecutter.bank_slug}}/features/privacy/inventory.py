"""What the service keeps about a WeChat user (openid), kind by kind: how it is shown in 我的信息, what happens to
it when the customer cancels the service (注销), and how long it is kept (retention.py).

The inventory is by table name, read from the metadata (no other feature's models are imported). Every table with
an `openid` column is covered: a table not listed here (a feature added later) is shown and exported generically
and deleted on cancellation with its dependent rows; list it here to say otherwise.

Actions on cancellation: ERASE deletes the rows (and rows of other tables that reference them); KEEP keeps them
for the reason given (`why`), with the `scrub` columns blanked first."""

from dataclasses import dataclass, field

from ...shared.i18n import _l

ERASE, KEEP = "erase", "keep"


@dataclass(frozen=True)
class Kind:
    table: str
    title: str  # lazy text
    action: str = ERASE
    why: str = ""  # lazy text, for KEEP: the audit's or the law's reason, and how long
    show: tuple[str, ...] = ()  # columns shown in 我的信息 (all, masked, when empty)
    scrub: tuple[str, ...] = ()  # columns blanked on cancellation when the row is kept
    # the erasure waits while a row has one of these statuses: (column, statuses, what the customer is told)
    blocking: tuple[str, tuple[str, ...], str] | None = None
    order_by: str = ""
    mask: dict = field(default_factory=dict)  # column -> masker name (card | phone | name | text)
    values: dict = field(default_factory=dict)  # column -> {stored value: lazy label}


# Status values are the features' own (tests/features/privacy checks they stay the same).
OPEN_TRANSFERS = ("awaiting_pin", "processing", "unconfirmed", "pending_settlement", "held", "under_review")
OPEN_COMPLAINTS = ("received", "assigned", "reopened")
OPEN_REQUESTS = ("received", "contacted", "in_review", "booked")
OPEN_REPAYMENTS = ("awaiting_pin", "processing", "unconfirmed")

BINDING_STATUS = {"active": _l("已绑定"), "unbound": _l("已解绑")}
CHALLENGE_STATUS = {"pending": _l("待验证"), "verified": _l("已验证"), "failed": _l("未完成"),
                    "replaced": _l("已被新申请取代")}
CONSENT_VALUES = {"scope": {"binding": _l("绑卡所需敏感个人信息")},
                  "ended_reason": {"withdrawn": _l("您撤回"), "superseded": _l("同意了新版本"), "erased": _l("注销")}}
REPAYMENT_STATUS = {"awaiting_pin": _l("待输入密码"), "processing": _l("处理中"), "posted": _l("已成功"),
                    "failed": _l("失败"), "unconfirmed": _l("结果待确认")}
TRANSFER_STATUS = {"awaiting_pin": _l("待输入密码"), "processing": _l("处理中"), "posted": _l("已成功"),
                   "pending_settlement": _l("已受理（跨行清算中）"), "failed": _l("失败"),
                   "unconfirmed": _l("结果待确认"), "held": _l("待到账"), "under_review": _l("待核实"),
                   "revoked": _l("已撤销"), "refused": _l("已拒绝")}

KINDS = (
    Kind("card_binding", _l("绑定的银行卡"), KEEP,
         _l("绑卡与解绑记录（账户、卡号前后四位、时间）：账户安全与反洗钱审计需要，"
            "解绑后保存 %(days)s 天；预留手机号已删除。"),
         show=("card_mask", "status", "bound_at", "unbound_at", "sms_phone"), scrub=("sms_phone",),
         order_by="bound_at", mask={"sms_phone": "phone"}, values={"status": BINDING_STATUS}),
    Kind("card_binding_challenge", _l("绑卡申请（验证码只存摘要）"),
         show=("card_mask", "status", "created_at"), order_by="created_at", values={"status": CHALLENGE_STATUS}),
    Kind("privacy_consent", _l("个人信息处理同意"), KEEP,
         _l("同意与撤回的记录（版本、时间）：证明处理经过您的同意，结束后保存 %(days)s 天。"),
         show=("scope", "notice_version", "granted_at", "withdrawn_at", "ended_reason"), order_by="granted_at",
         values=CONSENT_VALUES),
    Kind("alert_preference", _l("动账提醒设置"), show=("enabled", "min_amount_fen", "sms_fallback", "updated_at")),
    Kind("transfer_customer_limit", _l("您设置的转账限额"), show=("single_fen", "daily_fen", "updated_at")),
    Kind("transfer_order", _l("转账记录"), KEEP,
         _l("转账交易记录：《反洗钱法》要求交易记录自交易结束起至少保存五年（本行设置 %(days)s 天）。"),
         show=("created_at", "from_card_masked", "payee_number", "payee_name", "amount_fen", "status"),
         blocking=("status", OPEN_TRANSFERS,
                   _l("有尚未完成的转账（待输入密码、处理中、结果待确认、待清算、待到账或待核实）")),
         order_by="created_at", mask={"payee_number": "card", "payee_name": "name"},
         values={"status": TRANSFER_STATUS}),
    Kind("credit_repayment", _l("信用卡还款记录"), KEEP,
         _l("信用卡还款交易记录：与转账记录一样，《反洗钱法》要求交易记录自交易结束起"
            "至少保存五年（本行设置 %(days)s 天）。"),
         show=("created_at", "card_mask", "from_card_mask", "amount_fen", "status"),
         blocking=("status", OPEN_REPAYMENTS, _l("有尚未完成的信用卡还款（待输入密码、处理中或结果待确认）")),
         order_by="created_at", values={"status": REPAYMENT_STATUS}),
    Kind("transfer_preference", _l("默认到账方式"), show=("default_arrival", "updated_at")),
    Kind("alert_channel_choice", _l("动账提醒渠道（按卡）"), show=("channel", "updated_at")),
    Kind("conversation", _l("与本行员工的会话（消息已脱敏）"),
         show=("status", "opened_at", "closed_at", "rating"), order_by="opened_at"),
    Kind("conversation_customer_manager", _l("您的客户经理与联系授权"),
         show=("assigned_at", "contact_consent", "consent_at")),
    Kind("marketing_consent", _l("营销联系授权"), show=("granted", "granted_at", "revoked_at")),
    Kind("marketing_follow_up", _l("理财产品意向跟进"), show=("contacted_at",)),
    Kind("wealth_product_view", _l("浏览过的理财产品"), show=("product_id", "viewed_at"), order_by="viewed_at"),
    Kind("marketing_push_audience", _l("收到的群发消息")),
    Kind("complaint", _l("投诉"), KEEP,
         _l("投诉及处理记录：金融消费者投诉处理的监管要求，办结后保存 %(days)s 天。"),
         show=("ticket_no", "category", "status", "created_at", "description"),
         blocking=("status", OPEN_COMPLAINTS, _l("有尚未办结的投诉")), order_by="created_at",
         mask={"description": "text"}),
    Kind("branch_request", _l("贷款申请与办卡预约"),
         show=("reference", "kind", "status", "day", "created_at"),
         blocking=("status", OPEN_REQUESTS, _l("有尚未结束的贷款申请或办卡预约（可先撤回或取消）")),
         order_by="created_at"),
    Kind("alert", _l("发给您的通知"), show=("topic", "kind", "amount_fen", "state", "occurred_at"),
         order_by="occurred_at"),
    Kind("wechat_inbound_message", _l("您发来的消息（仅记录类型，保存 30 天）"),
         show=("msg_type", "event", "received_at"), order_by="received_at"),
    Kind("wechat_follower", _l("关注记录"), show=("subscribed", "subscribed_at", "unsubscribed_at", "language")),
    Kind("wechat_interaction", _l("最近互动时间（48 小时客服消息窗口）")),
    Kind("wechat_user_location", _l("您发送的位置（用于查找附近网点）"), show=("label", "updated_at"),
         mask={"label": "text"}),
    Kind("qrcode_scan", _l("扫码关注记录")),
    Kind("knowledge_choice", _l("知识库问答选择")),
)
BY_TABLE = {kind.table: kind for kind in KINDS}

# Tables with an openid column that are not a customer's data: the staff's own WeChat, a staff preview.
NOT_CUSTOMER_DATA = {"admin_staff_user", "mass_push"}
