"""Follows and scans through the bank's QR codes: a follow (subscribe with qrscene_) is recorded for
attribution and left to the welcome (features/info) to answer; a scan by a follower (SCAN) is recorded and
answered with where the code is from and a hint."""

from ...extensions import db
from ...shared.i18n import _l
from . import service
from .models import EVENT_SCAN, EVENT_SUBSCRIBE, KIND_CAMPAIGN

SCAN_BRANCH = _l("您扫描了「{branch}」的二维码，欢迎到网点办理业务。"
                 "回复「网点」查看地址和营业时间，回复「帮助」查看全部功能。")
SCAN_OTHER = _l("欢迎参加「{name}」！回复「帮助」查看全部功能。")


def on_follow_through_code(message):
    """subscribe with EventKey qrscene_<scene> (wechatpy: subscribe_scan, scene_id without the prefix)."""
    service.record(message.source, EVENT_SUBSCRIBE, getattr(message, "scene_id", "") or "",
                   getattr(message, "ticket", None))
    db.session.commit()


def on_scan(message):
    scan = service.record(message.source, EVENT_SCAN, getattr(message, "scene_id", "") or "",
                          getattr(message, "ticket", None))
    db.session.commit()
    if scan is None or scan.code_id is None:
        return None  # a code that is not ours: "success"
    code = db.session.get(service.QrCode, scan.code_id)
    branch = service.branch_name_for(code)
    if branch and code.kind != KIND_CAMPAIGN:
        return SCAN_BRANCH.format(branch=branch)
    return SCAN_OTHER.format(name=code.name)


def register(router) -> None:
    router.observe("subscribe_scan")(on_follow_through_code)
    router.event("scan")(on_scan)
