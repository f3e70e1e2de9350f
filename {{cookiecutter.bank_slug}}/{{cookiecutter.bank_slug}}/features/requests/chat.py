"""贷款 / 申请贷款 and 办卡 / 预约 / 办卡预约 (and the REQUESTS menu key): a text with the link to the H5 form;
the form, the status page and withdrawing are on /h5/requests."""

from ...h5.links import public_url
from ...shared.i18n import _, _l

MENU_KEY = "REQUESTS"


def loan_reply(message) -> str:
    link = public_url("h5.requests.loan_form")
    return _("申请贷款：在线提交贷款意向，网点客户经理将与您联系，审批在线下办理。\n"
             '<a href="%(link)s">点此填写贷款申请</a>', link=link)


def card_reply(message) -> str:
    link = public_url("h5.requests.card_form")
    return _("办卡预约：选择网点、日期和时段，到店办理借记卡，请携带本人有效身份证件。\n"
             '<a href="%(link)s">点此预约办卡</a>', link=link)


def menu_reply(message) -> str:
    link = public_url("h5.requests.index")
    return _('贷款申请与办卡预约：<a href="%(link)s">点此办理或查看进度</a>', link=link)


def register(router) -> None:
    router.text("贷款", "申请贷款", "我要贷款", summary=_l("申请贷款"), order=450)(loan_reply)
    router.text("办卡", "预约", "办卡预约", "预约办卡", summary=_l("预约网点办卡"), order=460)(card_reply)
    router.click(MENU_KEY)(menu_reply)
