"""Keyword replies: staff rules answered in the chat after the built-in keywords (exact and contains, disabled
rules ignored), 人工 hands the customer to WeChat customer service, and the admin pages to edit the rules."""

import json

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.replies.models import KeywordReply
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message
from {{ cookiecutter.bank_slug }}.wechat.reply_xml import parse_reply

from ..helpers import next_msg_id, push, reply_field
from .conftest import csrf_of, logged_in

OPENID = "oKeywordReply00000000000001"
NEW = "/admin/keyword_replies/new/"


def add_rule(app, keyword: str, reply: str, match: str = "exact", enabled: bool = True) -> int:
    with app.app_context():
        rule = KeywordReply(keyword=keyword, match=match, reply_text=reply, enabled=enabled, updated_by="test")
        db.session.add(rule)
        db.session.commit()
        return rule.id


def say(app, pusher, text: str) -> str:
    response, reply = push(app.test_client(), pusher, text_message(OPENID, text, next_msg_id()))
    assert response.status_code == 200
    return reply


def said(app, pusher, text: str) -> str:
    return reply_field(say(app, pusher, text), "Content")


def rules(app) -> list[KeywordReply]:
    with app.app_context():
        found = list(db.session.execute(select(KeywordReply).order_by(KeywordReply.id)).scalars())
        db.session.expunge_all()
        return found


# -- the chat ------------------------------------------------------------------------------------------

def test_exact_and_contains_rules_answer_and_the_longest_contained_keyword_wins(app, pusher):
    add_rule(app, "营业时间", "营业时间：周一至周日 9:00-17:00")
    add_rule(app, "贷款", "贷款请咨询就近网点。", match="contains")
    add_rule(app, "房贷款", "房贷请咨询个贷中心。", match="contains")
    assert said(app, pusher, "  营业时间 ") == "营业时间：周一至周日 9:00-17:00"
    assert "抱歉，暂时没能理解" in said(app, pusher, "请问营业时间")  # exact: the whole message only
    assert said(app, pusher, "我想办理贷款") == "贷款请咨询就近网点。"
    assert said(app, pusher, "我想了解房贷款利率") == "房贷请咨询个贷中心。"


def test_case_and_spacing_do_not_matter(app, pusher):
    add_rule(app, "etc 办理", "ETC 办理请到网点。")
    assert said(app, pusher, "ETC   办理") == "ETC 办理请到网点。"


def test_disabled_rules_are_ignored(app, pusher):
    add_rule(app, "开户", "开户请带身份证到网点。", enabled=False)
    assert "抱歉，暂时没能理解" in said(app, pusher, "开户")


def test_built_in_keywords_come_first(app, pusher):
    add_rule(app, "帮助", "staff text", match="contains")  # stored directly: the form refuses it
    assert "staff text" not in said(app, pusher, "帮助")
    assert said(app, pusher, "需要帮助") == "staff text"


@pytest.mark.parametrize("text", ["人工", "人工服务", "转人工", "人工客服", " 人工 "])
def test_human_agent_hands_over_to_wechat_customer_service(make_app, text):
    app = make_app(CONVERSATION_HANDOFF="wechat")  # a bank that uses WeChat's own 客服 system
    pusher = WeChatPusher.from_config(app.config)
    add_rule(app, "人工", "never", match="contains")
    reply = say(app, pusher, text)
    assert reply_field(reply, "MsgType") == "transfer_customer_service"
    assert reply_field(reply, "ToUserName") == OPENID and reply_field(reply, "FromUserName")
    assert reply_field(reply, "Content") == ""
    assert parse_reply(reply) == {"type": "transfer_customer_service"}  # what the simulator gets


@pytest.mark.parametrize("text", ["人工", "转人工", " 人工 "])
def test_human_agent_opens_a_conversation_with_staff_by_default(app, pusher, text):
    add_rule(app, "人工", "never", match="contains")
    reply = say(app, pusher, text)
    assert reply_field(reply, "MsgType") == "text" and "人工服务" in reply_field(reply, "Content")


def test_help_lists_the_hand_over_and_contact_still_gives_the_hotline(make_app):
    app = make_app(SERVICE_HOTLINE="96123")
    pusher = WeChatPusher.from_config(app.config)
    assert "「人工」" in said(app, pusher, "帮助")
    contact = said(app, pusher, "客服")
    assert "96123" in contact and "「人工」" in contact


# -- the admin pages ------------------------------------------------------------------------------------

def post_rule(client, path=NEW, **fields):
    data = {"csrf_token": csrf_of(client, path), "keyword": "营业时间", "match": "exact",
            "reply_text": "营业时间：9:00-17:00", "enabled": "y"}
    data.update(fields)
    return client.post(path, data=data)


def test_head_office_creates_edits_and_deletes_a_rule_audited(panel, pusher):
    client = logged_in(panel.app, panel.head)
    created = post_rule(client, keyword="  Opening   Hours ")
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    [rule] = rules(panel.app)
    assert rule.keyword == "opening hours" and rule.updated_by == panel.head and rule.enabled
    assert said(panel.app, pusher, "OPENING HOURS") == "营业时间：9:00-17:00"

    edit = f"/admin/keyword_replies/edit/?id={rule.id}"
    assert "opening hours" in client.get(edit).get_data(as_text=True)
    changed = post_rule(client, edit, keyword="opening hours", reply_text="新的时间", match="contains")
    assert changed.status_code == 302
    assert rules(panel.app)[0].reply_text == "新的时间"
    assert said(panel.app, pusher, "your opening hours?") == "新的时间"

    deleted = client.post("/admin/keyword_replies/delete/",
                          data={"csrf_token": csrf_of(client, "/admin/keyword_replies/"), "id": rule.id})
    assert deleted.status_code == 302 and rules(panel.app) == []
    with panel.app.app_context():
        actions = [row.action for row in db.session.execute(
            select(AuditLog).where(AuditLog.target_type == "keyword_reply").order_by(AuditLog.id)).scalars()]
        update = db.session.execute(select(AuditLog).where(AuditLog.target_type == "keyword_reply",
                                                           AuditLog.action == "update")).scalar_one()
        assert json.loads(update.before)["reply_text"] == "营业时间：9:00-17:00"
        assert json.loads(update.after)["reply_text"] == "新的时间"
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize("fields,problem", [
    ({"keyword": "  "}, "请填写关键词"),
    ({"keyword": "余额"}, "系统内置关键词"),
    ({"keyword": "人工服务"}, "系统内置关键词"),
    ({"keyword": "长" * 33}, "最多 32 个字"),
    ({"reply_text": ""}, "请填写回复内容"),
    ({"reply_text": "字" * 601}, "最多 600 个字"),
    ({"reply_text": "😀" * 513}, "2048 字节"),
    ({"match": "regex"}, "匹配方式只能是"),
])
def test_bad_rules_are_form_errors_and_nothing_is_stored(panel, fields, problem):
    client = logged_in(panel.app, panel.head)
    response = post_rule(client, **fields)
    assert response.status_code == 200
    assert problem in response.get_data(as_text=True)
    assert rules(panel.app) == []


def test_a_duplicate_keyword_is_refused(panel):
    add_rule(panel.app, "营业时间", "旧的")
    client = logged_in(panel.app, panel.head)
    response = post_rule(client, keyword="营业时间 ")
    assert "已有回复规则" in response.get_data(as_text=True)
    assert [r.reply_text for r in rules(panel.app)] == ["旧的"]


def test_script_in_a_reply_is_shown_escaped(panel):
    add_rule(panel.app, "脚本", "<script>alert(1)</script>")
    page = logged_in(panel.app, panel.head).get("/admin/keyword_replies/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_branch_operators_get_403_and_a_post_without_csrf_is_400(panel):
    rule_id = add_rule(panel.app, "营业时间", "旧的")
    east = logged_in(panel.app, panel.east)
    for path in ("/admin/keyword_replies/", NEW, f"/admin/keyword_replies/edit/?id={rule_id}"):
        assert east.get(path).status_code == 403, path
    head = logged_in(panel.app, panel.head)
    refused = head.post(NEW, data={"keyword": "开户", "match": "exact", "reply_text": "x", "enabled": "y"})
    assert refused.status_code == 400
    with panel.app.app_context():
        assert db.session.execute(select(func.count()).select_from(KeywordReply)).scalar_one() == 1
