"""The knowledge base in the admin panel: head office keeps entries (checked, audited), sees the questions
nobody answered most-asked first, starts an entry from one (which marks it added) or dismisses it."""

import json

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.knowledge.models import (
    STATUS_ADDED,
    STATUS_DISMISSED,
    KnowledgeEntry,
    UnansweredQuestion,
)
from {{ cookiecutter.bank_slug }}.features.knowledge.service import keep_unanswered

from .conftest import csrf_of, logged_in

NEW = "/admin/knowledge/new/"


def post_entry(client, path=NEW, **fields):
    data = {"csrf_token": csrf_of(client, path), "question": "银行卡怎么挂失？", "synonyms": "卡丢了\n\n 卡丢了 \n挂失",
            "answer": "请致电客服热线挂失。", "enabled": "y"}
    data.update(fields)
    return client.post(path, data=data)


def entries(app) -> list[KnowledgeEntry]:
    with app.app_context():
        found = list(db.session.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.id)))
        db.session.expunge_all()
        return found


def test_head_office_adds_an_entry_cleaned_and_audited_and_branch_staff_cannot(panel):
    client = logged_in(panel.app, panel.head)
    created = post_entry(client)
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    [entry] = entries(panel.app)
    assert entry.synonyms == "卡丢了\n挂失" and entry.updated_by == panel.head and entry.enabled
    with panel.app.app_context():
        log = db.session.execute(select(AuditLog).where(AuditLog.target_type == "knowledge_entry")).scalar_one()
        assert log.action == "create" and json.loads(log.after)["question"] == "银行卡怎么挂失？"
    branch = logged_in(panel.app, panel.east)
    assert branch.get("/admin/knowledge/").status_code == 403
    assert branch.get("/admin/knowledge_unanswered/").status_code == 403


@pytest.mark.parametrize("fields,problem", [
    ({"question": "  "}, "请填写问题"),
    ({"question": "问" * 101}, "最多 100 个字"),
    ({"answer": ""}, "请填写答案"),
    ({"answer": "答" * 601}, "最多 600 个字"),
    ({"answer": "😀" * 513}, "2048 字节"),
    ({"synonyms": "\n".join(f"问法{i}" for i in range(21))}, "最多 20 行"),
])
def test_bad_entries_are_form_errors_and_nothing_is_stored(panel, fields, problem):
    client = logged_in(panel.app, panel.head)
    answer = post_entry(client, **fields)
    assert answer.status_code == 200 and problem in answer.get_data(as_text=True)
    assert entries(panel.app) == []


def test_unanswered_questions_list_most_asked_first_and_an_entry_started_from_one_marks_it_added(panel):
    with panel.app.app_context():
        for text in ("可以办理外币兑换吗", "手机银行怎么下载", "手机银行怎么下载"):
            keep_unanswered(text)
        asked = {row.text: row for row in db.session.scalars(select(UnansweredQuestion))}
    client = logged_in(panel.app, panel.head)
    page = client.get("/admin/knowledge_unanswered/").get_data(as_text=True)
    assert page.index("手机银行怎么下载") < page.index("可以办理外币兑换吗") and "加入知识库" in page
    start = f"{NEW}?question=手机银行怎么下载&unanswered={asked['手机银行怎么下载'].id}"
    assert 'value="手机银行怎么下载"' in client.get(start).get_data(as_text=True)
    created = post_entry(client, start, question="手机银行怎么下载", synonyms="", answer="请在应用商店搜索本行。")
    assert created.status_code == 302
    dismissed = client.post("/admin/knowledge_unanswered/action/", data={
        "csrf_token": csrf_of(client, "/admin/knowledge_unanswered/"), "action": "dismiss",
        "rowid": [str(asked["可以办理外币兑换吗"].id)]})
    assert dismissed.status_code == 302
    with panel.app.app_context():
        status = {row.text: row.status for row in db.session.scalars(select(UnansweredQuestion))}
        audited = db.session.execute(select(AuditLog).where(
            AuditLog.target_type == "knowledge_unanswered")).scalar_one()
    assert status == {"手机银行怎么下载": STATUS_ADDED, "可以办理外币兑换吗": STATUS_DISMISSED}
    assert audited.action == "dismiss"


def test_seed_demo_adds_the_demo_entries_once(panel):
    runner = panel.app.test_cli_runner()
    panel.app.config["WECHAT_SANDBOX"] = True
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    count = len(entries(panel.app))
    assert count >= 10 and "知识库" in first.output
    runner.invoke(args=["seed-demo"])
    assert len(entries(panel.app)) == count
