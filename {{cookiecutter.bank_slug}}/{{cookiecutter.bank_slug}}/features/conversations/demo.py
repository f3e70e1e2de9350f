"""`flask seed-demo`: the bank-wide canned replies staff start from. Run again, it adds nothing."""

from sqlalchemy import select

from ...extensions import db
from .models import CannedReply

DEMO_REPLIES = (
    ("问候", "您好，我是您的客户经理，很高兴为您服务。请问有什么可以帮您？"),
    ("核实身份", "为保护您的账户安全，请勿在对话中发送密码、短信验证码或完整卡号。我们不会向您索要这些信息。"),
    ("稍候", "您的问题已收到，我们正在核实，请稍候。"),
    ("到网点办理", "该业务需本人携带有效身份证件到任一营业网点办理，网点地址可在菜单「服务 → 网点查询」中查看。"),
    ("结束语", "感谢您的耐心，如还有其他问题，欢迎随时回复「人工」联系我们。"),
)


def seed() -> None:
    if db.session.scalar(select(CannedReply.id).limit(1)) is None:
        for title, body in DEMO_REPLIES:
            db.session.add(CannedReply(branch_code=None, title=title, body=body))
    db.session.commit()
