"""投诉 / 我要投诉: the link to the complaint form (the menu's 服务 → 投诉建议 opens the same page)."""

from flask import current_app

from ...h5.links import public_url
from ...shared.i18n import _l

COMPLAINT_LINK = _l("您可以<a href=\"{url}\">点此在线提交投诉</a>，我们将在受理后 15 日内处理并答复您；"
                    "也可致电客服热线 {hotline} 或到任一营业网点投诉。")


def complaint_text() -> str:
    return COMPLAINT_LINK.format(url=public_url("h5.complaints.form"), hotline=current_app.config["SERVICE_HOTLINE"])


def register(router) -> None:
    def on_complaint(message):
        return complaint_text()

    router.text("投诉", "我要投诉", "投诉建议", summary=_l("提交投诉并查询处理进度"), order=850)(on_complaint)
