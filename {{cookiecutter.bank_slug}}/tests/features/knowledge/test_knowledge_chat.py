"""The knowledge base in the chat: a clear question gets its answer, a vague one up to three 您是不是想问 choices
that 1-3 pick, and one nobody answered is kept for staff (masked, counted) while the fallback offers 人工."""

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.knowledge import matcher
from {{ cookiecutter.bank_slug }}.features.knowledge.demo_entries import ENTRIES
from {{ cookiecutter.bank_slug }}.features.knowledge.models import KnowledgeChoice, KnowledgeEntry, UnansweredQuestion
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import text_message
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...helpers import next_msg_id, push, reply_field

OPENID = "oKnowledgeBase000000000001"


@pytest.fixture
def kb(app):
    with app.app_context():
        for question, synonyms, answer in ENTRIES:
            db.session.add(KnowledgeEntry(question=str(question), synonyms=str(synonyms), answer=str(answer)))
        db.session.commit()
    return app


def said(app, pusher, text: str, openid: str = OPENID) -> str:
    response, reply = push(app.test_client(), pusher, text_message(openid, text, next_msg_id()))
    assert response.status_code == 200
    return reply_field(reply, "Content")


def entry(app, question: str) -> KnowledgeEntry:
    with app.app_context():
        found = db.session.execute(select(KnowledgeEntry).where(KnowledgeEntry.question == question)).scalar_one()
        db.session.expunge(found)
        return found


def unanswered(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(row.text, row.times) for row in db.session.scalars(select(UnansweredQuestion))]


@pytest.mark.parametrize("question,expected", [
    ("我的卡丢了", "银行卡丢了怎么挂失？"),  # no word in common with the substring 挂失
    ("卡被偷了怎么办", "银行卡丢了怎么挂失？"),
    ("密码忘了怎么办", "忘记交易密码怎么办？"),
    ("跨行转账要多久", "转账多久到账？"),
    ("转账失败了", "转账失败怎么办？"),
    ("提醒收费吗", "动账提醒收费吗？"),
])
def test_a_clear_question_gets_its_entrys_answer_and_counts_a_hit(kb, pusher, question, expected):
    assert said(kb, pusher, question) == entry(kb, expected).answer
    assert entry(kb, expected).hits == 1
    assert unanswered(kb) == []


def test_a_vague_question_offers_up_to_three_choices_and_a_digit_picks_one(kb, pusher):
    reply = said(kb, pusher, "存款")  # 转账 alone is a built-in keyword
    lines = reply.splitlines()
    assert lines[0] == "您是不是想问：" and lines[-1] == "请回复序号查看答案。"
    offered = [line.split(". ", 1)[1] for line in lines[1:-1]]
    assert len(offered) == 3 and all("存款" in question for question in offered)
    assert said(kb, pusher, "2") == entry(kb, offered[1]).answer
    assert said(kb, pusher, "３") == entry(kb, offered[2]).answer  # a full-width digit too
    assert "抱歉，暂时没能理解" in said(kb, pusher, "2", openid="oSomebodyElse0000000000001")  # not offered to them


def test_choices_expire_and_a_digit_past_the_choices_is_not_an_answer(kb, pusher):
    said(kb, pusher, "定期能提前取吗")  # two choices
    assert "抱歉，暂时没能理解" in said(kb, pusher, "3")
    with kb.app_context():
        choice = db.session.get(KnowledgeChoice, OPENID)
        choice.offered_at = utcnow().replace(year=2000)
        db.session.commit()
    assert "抱歉，暂时没能理解" in said(kb, pusher, "1")


def test_an_unanswered_question_is_kept_masked_and_counted_and_the_fallback_offers_a_person(kb, pusher):
    for _ in range(2):
        reply = said(kb, pusher, "我要在 13812345678 这个号码上开通贷款")
        assert "人工" in reply and "13812345678" not in reply
    said(kb, pusher, "ok")  # no Chinese: not a question to keep
    [(text, times)] = unanswered(kb)
    assert "13812345678" not in text and "138****5678" in text and times == 2


def test_a_disabled_or_changed_entry_is_matched_as_it_is_now(kb, pusher):
    lost = entry(kb, "银行卡丢了怎么挂失？")
    with kb.app_context():
        row = db.session.get(KnowledgeEntry, lost.id)
        row.enabled = False
        db.session.commit()
    assert said(kb, pusher, "银行卡挂失") != lost.answer
    with kb.app_context():
        row = db.session.get(KnowledgeEntry, lost.id)
        row.enabled, row.answer = True, "新的挂失说明"
        db.session.commit()
    assert said(kb, pusher, "银行卡挂失") == "新的挂失说明"


def test_built_in_keywords_still_come_first(kb, pusher):
    assert "您是不是想问" not in said(kb, pusher, "帮助")


def test_the_matcher_weighs_rare_words_over_common_ones():
    index = matcher.Index.build([(1, ["银行卡怎么挂失"]), (2, ["银行卡怎么销户"]), (3, ["银行卡年费多少"])])
    assert index.judge("挂失").kind == matcher.ANSWER and index.judge("挂失").entry_ids == (1,)
    vague = index.judge("银行卡")
    assert vague.kind == matcher.CHOOSE and set(vague.entry_ids) == {1, 2, 3}
    assert index.judge("今天天气不错").kind == matcher.NONE
    assert matcher.Index.build([]).judge("挂失").kind == matcher.NONE
    assert index.judge("！！？？").kind == matcher.NONE
