"""网点 / the BRANCHES menu key: the bank's open branches with address, phone and opening hours; nearest first
when the follower's location is known (finder.py)."""

from flask import current_app

from ...shared.i18n import _, _l
from ...web.language import bank_name
from ..branches.service import open_branches
from .finder import fresh, nearest_text
from .location import last_location

MENU_KEY = "BRANCHES"
MAX_LISTED = 10


def branches_text() -> str:
    branches = open_branches(limit=MAX_LISTED + 1)
    hotline = current_app.config["SERVICE_HOTLINE"]
    if not branches:
        return _("网点信息暂未发布，请致电客服热线 %(hotline)s 咨询。", hotline=hotline)
    lines = [_("%(bank)s营业网点：", bank=bank_name(current_app.config, short=True))]
    for branch in branches[:MAX_LISTED]:
        phone = _("电话 %(phone)s", phone=branch.phone) if branch.phone else ""
        hours = _("营业时间 %(hours)s", hours=branch.opening_hours) if branch.opening_hours else ""
        details = _("，").join(part for part in (branch.address, phone, hours) if part)
        lines.append(f"· {branch.name}" + (_("：%(details)s", details=details) if details else ""))
    if len(branches) > MAX_LISTED:
        lines.append(_("更多网点请致电客服热线 %(hotline)s 查询。", hotline=hotline))
    return "\n".join(lines)


def register(router) -> None:
    def on_branches(message):
        """Sorted by distance when WeChat reported (or the user sent) a location within the last day."""
        location = last_location(message.source)
        if fresh(location):
            answer = nearest_text(location.latitude, location.longitude)
            if answer:
                return answer
        return branches_text() + "\n" + _("发送位置（对话框「+」→「位置」或菜单「附近网点」）可查看离您最近的网点。")

    router.text("网点", "营业网点", summary=_l("查询营业网点"), order=800)(on_branches)
    router.click(MENU_KEY)(on_branches)
