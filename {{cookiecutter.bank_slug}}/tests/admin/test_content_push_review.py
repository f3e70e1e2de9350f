"""群发 by WeChat's rules and 双人复核, against the mock WeChat API: the author submits a previewed job, only
another head-office admin approves it (then it is sent) or rejects it with a reason, both audited; the
service counts this Beijing month's sends against WeChat's 4 a month and asks for an explicit confirmation
before a send that followers at 4 will be filtered from; a repeated clientmsgid (45065) is not sent twice;
WeChat's MASSSENDJOBFINISH report is recorded on the job and shown."""

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.pushes.models import MassPush
from {{ cookiecutter.bank_slug }}.features.pushes.service import month_window
from {{ cookiecutter.bank_slug }}.sandbox.mock_api.mass_jobs import finish_push
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow
from {{ cookiecutter.bank_slug }}.wechat.models import Follower

from .conftest import add_staff, logged_in
from .test_content_push import (
    ADMIN_OPENID,
    PAGE,
    REVIEWER,
    jobs,
    new_job,
    post,
    records,
    reviewer,
    sandbox,  # noqa: F401 (fixture)
    set_openid,
)


def prepared(client, app) -> MassPush:
    """A new job to all followers, previewed by its author."""
    job = new_job(client, app)
    assert post(client, "preview/", id=job.id).status_code == 303
    return job


def page_of(client, job_id) -> str:
    return client.get(f"{PAGE}job/?id={job_id}").get_data(as_text=True)


def audit_actions(app, job_id) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(AuditLog.action, AuditLog.staff_username).where(
            AuditLog.target_type == "mass_push", AuditLog.target_id == str(job_id)).order_by(AuditLog.id)).all()
        return [tuple(row) for row in rows]


def test_the_author_cannot_approve_and_another_head_office_admin_sends(panel, sandbox):  # noqa: F811
    author = logged_in(panel.app, panel.head)
    set_openid(author)
    job = prepared(author, panel.app)
    assert post(author, "submit/", id=job.id).status_code == 303
    pending = jobs(panel.app)[0]
    assert pending.review_status == "pending" and pending.submitted_by == panel.head
    assert "待复核" in page_of(author, job.id) and 'data-testid="push-approve" disabled' in page_of(author, job.id)

    own = post(author, "approve/", id=job.id)
    assert own.status_code == 403 and "不能复核自己提交的内容" in own.get_data(as_text=True)
    assert records(sandbox, "mass_send") == [] and jobs(panel.app)[0].review_status == "pending"

    checker = reviewer(panel.app)
    assert post(checker, "approve/", id=job.id).status_code == 303
    [sent] = records(sandbox, "mass_send")
    done = jobs(panel.app)[0]
    assert done.review_status == "approved" and done.reviewed_by == REVIEWER and done.msg_id == str(
        sent.extra["msg_id"])
    assert sent.payload["clientmsgid"].startswith(f"mass-push-{job.id}-")
    assert audit_actions(panel.app, job.id) == [
        ("create", panel.head), ("mass_preview", panel.head), ("mass_submit", panel.head),
        ("mass_approve_refused", panel.head), ("mass_approve", REVIEWER)]


def test_neither_the_maker_nor_the_submitter_may_approve(panel, sandbox):  # noqa: F811
    maker = logged_in(panel.app, panel.head)
    set_openid(maker)
    job = prepared(maker, panel.app)
    submitter = reviewer(panel.app)
    assert post(submitter, "submit/", id=job.id).status_code == 303  # another admin submits the maker's job
    for client in (maker, submitter):
        refused = post(client, "approve/", id=job.id)
        assert refused.status_code == 403 and "不能复核自己提交的内容" in refused.get_data(as_text=True)
    assert records(sandbox, "mass_send") == []
    third = logged_in(panel.app, add_staff(panel.app, "hq_third"))
    assert post(third, "approve/", id=job.id).status_code == 303 and len(records(sandbox, "mass_send")) == 1


def test_a_rejection_needs_a_reason_and_is_final(panel, sandbox):  # noqa: F811
    author = logged_in(panel.app, panel.head)
    set_openid(author)
    job = prepared(author, panel.app)
    post(author, "submit/", id=job.id)
    assert post(author, "reject/", id=job.id, reason="自己驳回").status_code == 403
    checker = reviewer(panel.app)
    empty = post(checker, "reject/", id=job.id, reason="  ")
    assert "请填写驳回原因" in checker.get(empty.headers["Location"]).get_data(as_text=True)
    assert post(checker, "reject/", id=job.id, reason="收益率写错了").status_code == 303
    rejected = jobs(panel.app)[0]
    assert rejected.review_status == "rejected" and rejected.review_reason == "收益率写错了"
    assert "驳回原因：收益率写错了" in page_of(author, job.id)
    again = post(checker, "approve/", id=job.id)
    assert "不在待复核状态" in checker.get(again.headers["Location"]).get_data(as_text=True)
    assert records(sandbox, "mass_send") == []
    with panel.app.app_context():
        row = db.session.execute(select(AuditLog).where(AuditLog.action == "mass_reject")).scalar_one()
        assert row.staff_username == REVIEWER and json.loads(row.after)["review_reason"] == "收益率写错了"


def send_one(author, checker, app, **confirm) -> MassPush:
    job = prepared(author, app)
    assert post(author, "submit/", id=job.id, **confirm).status_code == 303
    assert post(checker, "approve/", id=job.id).status_code == 303
    return jobs(app)[-1]


def test_the_fifth_send_of_the_month_needs_a_confirmation_and_wechat_filters_it(panel, sandbox):  # noqa: F811
    author, checker = logged_in(panel.app, panel.head), reviewer(panel.app)
    set_openid(author)
    with panel.app.app_context():  # followers the service saw follow: one before the sends, one after
        db.session.add_all([Follower(openid=ADMIN_OPENID, subscribed=True, subscribed_at=utcnow() - timedelta(days=40)),
                            Follower(openid="oFollowerLate000000000000001", subscribed=True,
                                     subscribed_at=utcnow() + timedelta(days=1))])
        db.session.commit()
    for n in range(4):
        assert send_one(author, checker, panel.app).result == "ok", n
    month = month_window()[2]
    assert f"本月（北京时间 {month}）已群发 4/4 次" in author.get(PAGE).get_data(as_text=True)

    fifth = prepared(author, panel.app)
    page = page_of(author, fifth.id)
    assert "该对象本月已群发 4/4 次，还剩 0 次" in page and "其中 1 人本月已收满 4 条" in page
    refused = post(author, "submit/", id=fifth.id)
    assert "已向该对象群发 4/4 次" in author.get(refused.headers["Location"]).get_data(as_text=True)
    assert jobs(panel.app)[-1].review_status is None

    assert post(author, "submit/", id=fifth.id, confirm_filtered="1").status_code == 303
    assert post(checker, "approve/", id=fifth.id).status_code == 303
    last = records(sandbox, "mass_send")[-1]
    assert len(records(sandbox, "mass_send")) == 5 and last.extra["delivered_to"] == []  # WeChat filtered everyone
    assert last.extra["filtered_out"] and jobs(panel.app)[-1].confirmed_filtered


def test_a_repeated_clientmsgid_is_45065_and_not_sent_again(panel, sandbox):  # noqa: F811
    author, checker = logged_in(panel.app, panel.head), reviewer(panel.app)
    set_openid(author)
    job = prepared(author, panel.app)
    with panel.app.app_context():
        created = db.session.get(MassPush, job.id).created_at
    sandbox.state.claim_client_msg_id(f"mass-push-{job.id}-{created:%Y%m%d%H%M%S}")  # an earlier, lost call
    post(author, "submit/", id=job.id)
    post(checker, "approve/", id=job.id)
    assert records(sandbox, "mass_send") == []  # the mock answered 45065 and sent nothing
    done = jobs(panel.app)[0]
    assert done.sent_at is not None and "重复提交已忽略" in done.result


def test_massendjobfinish_is_recorded_on_the_job_and_shown(panel, sandbox):  # noqa: F811
    author, checker = logged_in(panel.app, panel.head), reviewer(panel.app)
    set_openid(author)
    job = send_one(author, checker, panel.app)
    assert "等待微信回报" in page_of(author, job.id)
    result = finish_push(sandbox.state, int(job.msg_id), "send success")
    assert result["service_status"] == 200 and result["error"] is None
    reported = jobs(panel.app)[0]
    assert (reported.job_status, reported.total_count, reported.filter_count, reported.sent_count,
            reported.error_count) == ("send success", 3, 3, 3, 0)
    assert reported.reported_at is not None
    assert "发送成功：目标 3 人，过滤后 3 人，发送成功 3 人，失败 0 人" in page_of(author, job.id)
    assert "3/3 人，过滤 0 人" in author.get(PAGE).get_data(as_text=True)
    finish_push(sandbox.state, int(job.msg_id), "err(10001)")  # a later report replaces it
    assert jobs(panel.app)[0].job_status == "err(10001)"


def test_a_report_pushed_before_the_send_writes_its_msg_id_is_held_and_applied(panel, sandbox, monkeypatch):  # noqa: F811
    """WeChat's MASSSENDJOBFINISH may come before the service has written the send's msg_id: here the mock
    pushes it inside the sendall call itself. It is held, then written on the job when the send records it."""
    from {{ cookiecutter.bank_slug }}.features.pushes.models import HeldMassReport
    from {{ cookiecutter.bank_slug }}.sandbox.mock_api import mass_jobs

    class AtOnce:  # the mock's background push, run before sendall answers
        def __init__(self, target, args, **_):
            self.target, self.args = target, args

        def start(self):
            self.target(*self.args)

    monkeypatch.setattr(mass_jobs.threading, "Thread", AtOnce)
    monkeypatch.setattr(mass_jobs, "AUTO_DELAY_SECONDS", 0)
    sandbox.state.mass_jobs.auto_finish = "send success"
    author, checker = logged_in(panel.app, panel.head), reviewer(panel.app)
    set_openid(author)
    job = send_one(author, checker, panel.app)
    pushed = sandbox.state.mass_jobs.pushes
    assert pushed and pushed[-1]["service_status"] == 200  # the push came while the job had no msg_id yet
    assert (job.msg_id, job.job_status, job.sent_count) == (str(pushed[-1]["msg_id"]), "send success", 3)
    with panel.app.app_context():
        assert db.session.query(HeldMassReport).count() == 0


def test_a_report_for_a_send_that_never_comes_is_held_then_forgotten(panel):
    from datetime import timedelta as days

    from {{ cookiecutter.bank_slug }}.features.pushes import job_report
    from {{ cookiecutter.bank_slug }}.features.pushes.models import HeldMassReport

    with panel.app.app_context():
        assert job_report.record(9_001, "send success", 5, 5, 5, 0) == 0
        assert job_report.record(9_001, "send fail", 5, 5, 0, 5) == 0  # a repeat replaces it: one row
        held = db.session.query(HeldMassReport).all()
        assert [(row.msg_id, row.job_status) for row in held] == [("9001", "send fail")]
        held[0].received_at = utcnow() - days(days=job_report.HELD_DAYS + 1)
        db.session.commit()
        job_report.record(9_002, "send success")
        assert [row.msg_id for row in db.session.query(HeldMassReport)] == ["9002"]
        assert job_report.record(None, "send success") == 0 and job_report.record(9_003, "  ") == 0


@pytest.mark.parametrize("now,month", [
    (datetime(2026, 11, 30, 16, 0), "2026-12"),  # 00:00 on 1 December in Beijing
    (datetime(2026, 11, 30, 15, 59, 59), "2026-11"),
    (datetime(2026, 12, 31, 16, 0), "2027-01"),
])
def test_the_month_is_wechats_beijing_calendar_month(now, month):
    start, end, label = month_window(now)
    assert label == month and start <= now < end and (start.hour, start.minute) == (16, 0)
