"""Follow and unfollow: keep the follower record, greet new followers, suspend or resume alerts to bound cards."""

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...shared.i18n import _l
from ...shared.timeutil import utcnow
from ...web.language import bank_name
from ...wechat.models import Follower, FollowEvent
from ..binding.service import set_alerts_suspended

WELCOME = _l(
    "您好，欢迎关注{bank_name}微信银行！\n"
    "在这里您可以：\n"
    "· 绑定本行银行卡，随时查询余额\n"
    "· 在线转账汇款\n"
    "· 免费接收动账提醒\n"
    "· 浏览理财产品\n"
    "绑定银行卡：点击菜单「账户 → 绑定」，或回复「绑定」，按页面提示输入卡号并验证身份即可。\n"
    "回复「帮助」查看全部功能。客服热线：{hotline}"
)


def follower_for(openid: str) -> Follower:
    follower = db.session.execute(select(Follower).where(Follower.openid == openid)).scalar_one_or_none()
    if follower is None:
        follower = Follower(openid=openid)
        db.session.add(follower)
    return follower


def welcome_text() -> str:
    config = current_app.config
    return WELCOME.format(bank_name=bank_name(config), hotline=config["SERVICE_HOTLINE"])


def on_subscribe(message):
    follower = follower_for(message.source)
    follower.subscribed, follower.subscribed_at = True, utcnow()
    scene = getattr(message, "scene_id", None)
    db.session.add(FollowEvent(follower=follower, kind="subscribe", scene=str(scene) if scene else None))
    set_alerts_suspended(message.source, False)  # following again resumes alerts to bound cards
    db.session.commit()
    return welcome_text()


def on_unsubscribe(message):
    follower = follower_for(message.source)
    follower.subscribed, follower.unsubscribed_at = False, utcnow()
    db.session.add(FollowEvent(follower=follower, kind="unsubscribe"))
    set_alerts_suspended(message.source, True)  # bindings stay; alerts wait until the user follows again
    db.session.commit()
    return None  # WeChat delivers nothing to a user who has just unfollowed


def register(router) -> None:
    router.event("subscribe", "subscribe_scan")(on_subscribe)
    router.event("unsubscribe")(on_unsubscribe)
