"""网点 / the BRANCHES menu key: the bank's branches with address and phone."""

from flask import current_app
from sqlalchemy import select

from ...banking.models import Branch
from ...extensions import db

MENU_KEY = "BRANCHES"
MAX_LISTED = 10


def branches_text() -> str:
    branches = db.session.execute(select(Branch).order_by(Branch.code).limit(MAX_LISTED + 1)).scalars().all()
    hotline = current_app.config["SERVICE_HOTLINE"]
    if not branches:
        return f"网点信息暂未发布，请致电客服热线 {hotline} 咨询。"
    lines = [f"{current_app.config['BANK_SHORT_NAME']}营业网点："]
    for branch in branches[:MAX_LISTED]:
        details = "，".join(part for part in (branch.address, f"电话 {branch.phone}" if branch.phone else "") if part)
        lines.append(f"· {branch.name}" + (f"：{details}" if details else ""))
    if len(branches) > MAX_LISTED:
        lines.append(f"更多网点请致电客服热线 {hotline} 查询。")
    return "\n".join(lines)


def register(router) -> None:
    def on_branches(message):
        return branches_text()

    router.text("网点", "营业网点", summary="查询营业网点", order=800)(on_branches)
    router.click(MENU_KEY)(on_branches)
