"""The complaint rules on a fake clock: the 15-day period, the extension to 30 (with a reason) and to 60 (a head-office
approver, never beyond), overdue; each status change and its notice; rating; reopening once; the double submit;
refusals that store nothing; branch scope; the monthly report."""

import csv
import io
from datetime import date

import pytest

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.complaints import service
from {{ cookiecutter.bank_slug }}.features.complaints.models import (
    ASSIGNED,
    CLOSED,
    DECIDED,
    RECEIVED,
    REOPENED,
    Complaint,
)
from {{ cookiecutter.bank_slug }}.features.complaints.notify import TOPIC, notice_text
from {{ cookiecutter.bank_slug }}.features.complaints.service import (
    ComplaintNotFound,
    ComplaintRefused,
    ComplaintStateRefused,
)
from {{ cookiecutter.bank_slug }}.wechat.template_rules import fit_payload

from .support import ALICE, BOB, Clock, audit_actions, counts, form, make_world, notice_kinds, notices


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(service, "utcnow", fake)
    return fake


@pytest.fixture
def world(app, clock):
    return make_world(app)


@pytest.fixture
def ctx(app, world):
    with app.app_context():
        yield world


def filed(**values) -> Complaint:
    return service.file_complaint(ALICE, form(**values))


def test_filing_stores_the_ticket_with_its_acknowledgement_and_deadline(ctx, app):
    complaint = filed()
    assert complaint.status == RECEIVED and complaint.branch_id is None
    assert complaint.clock_start == date(2026, 3, 2)  # the bank's local day (UTC+6), not UTC's 1 March
    assert complaint.ticket_no == f"TS20260302{complaint.id:04d}"
    assert service.deadline(complaint) == date(2026, 3, 17) and service.days_left(complaint) == 15
    [ack] = notices()
    assert ack["kind"] == "filed" and ack["ticket"] == complaint.ticket_no and ack["deadline"] == "2026-03-17"
    text = notice_text(ack, app.config)
    assert complaint.ticket_no in text and "2026年03月17日" in text and f"/h5/complaints/{complaint.ticket_no}" in text
    assert audit_actions() == ["complaint_file"]


def test_the_clock_runs_15_local_days_then_the_complaint_is_overdue(ctx, clock):
    complaint = filed()
    clock.advance(days=15)  # 17 March, the deadline's day: still on time
    assert service.days_left(complaint) == 0 and not service.is_overdue(complaint)
    clock.advance(days=1)
    assert service.days_left(complaint) == -1 and service.is_overdue(complaint)
    assert service.open_counts(None) == (1, 1)
    service.decide(ctx.staff(ctx.hq), complaint, "经核查，多扣的 12 元已退回。")
    assert not service.is_overdue(complaint) and service.open_counts(None) == (0, 0)


def test_a_complex_case_is_extended_to_30_days_with_a_reason(ctx, clock):
    complaint = filed()
    service.assign(ctx.staff(ctx.hq), complaint, ctx.east_branch)
    east = ctx.staff(ctx.east)
    with pytest.raises(ComplaintRefused) as refused:
        service.extend(east, complaint, "30", "复杂")  # 2 characters: no reason
    assert refused.value.field == "reason"
    clock.advance(days=10)
    service.extend(east, complaint, "30", "需向第三方支付机构调取交易记录")
    assert complaint.limit_days == 30 and service.deadline(complaint) == date(2026, 4, 1)
    assert complaint.extended_by == "east_op" and complaint.approved_by is None
    assert service.days_left(complaint) == 20
    assert notice_kinds()[-1] == "extend" and notices()[-1]["deadline"] == "2026-04-01"
    clock.advance(days=21)  # past the 30 days
    assert service.is_overdue(complaint)


def test_the_60_day_extension_needs_a_head_office_approver_and_nothing_goes_beyond_60(ctx, clock):
    complaint = filed()
    service.assign(ctx.staff(ctx.hq), complaint, ctx.east_branch)
    east = ctx.staff(ctx.east)
    before = counts()
    with pytest.raises(ComplaintStateRefused):
        service.extend(east, complaint, "60", "涉及多家机构，需总行协调")
    db.session.refresh(complaint)
    assert complaint.limit_days == 15 and complaint.approved_by is None and counts() == before
    service.extend(east, complaint, "30", "需调取监控录像")
    service.extend(ctx.staff(ctx.hq), complaint, "60", "涉及多家机构，需总行协调")
    assert complaint.limit_days == 60 and complaint.approved_by == "hq_admin"
    assert service.deadline(complaint) == date(2026, 5, 1)
    for days in ("60", "61", "90", "45", "-1", "abc", ""):
        with pytest.raises(ComplaintRefused) as refused:
            service.extend(ctx.staff(ctx.hq), complaint, days, "再延长一些时间")
        assert refused.value.field == "days"
    assert complaint.limit_days == 60
    clock.advance(days=61)
    assert service.is_overdue(complaint)


def test_no_extension_once_the_period_has_run_out_or_after_the_decision(ctx, clock):
    complaint = filed()
    clock.advance(days=16)
    with pytest.raises(ComplaintStateRefused):
        service.extend(ctx.staff(ctx.hq), complaint, "30", "情况复杂需要更多时间")
    assert complaint.limit_days == 15
    service.decide(ctx.staff(ctx.hq), complaint, "已处理。")
    with pytest.raises(ComplaintStateRefused):
        service.extend(ctx.staff(ctx.hq), complaint, "30", "情况复杂需要更多时间")


def test_each_status_change_is_noticed_and_audited(ctx, clock):
    complaint = filed()
    hq, east = ctx.staff(ctx.hq), ctx.staff(ctx.east)
    service.assign(hq, complaint, ctx.east_branch)
    assert complaint.status == ASSIGNED and complaint.branch_id == ctx.east_branch
    service.reply(east, complaint, "您好，我们正在核查扣费记录，请稍候。")
    assert complaint.status == ASSIGNED
    clock.advance(days=3)
    service.decide(east, complaint, "经核查重复扣费属实，已退回 12 元。")
    assert complaint.status == DECIDED
    service.rate(ALICE, complaint.ticket_no, "2", "退款太慢")
    assert complaint.status == CLOSED and complaint.rating == 2
    clock.advance(days=2)
    service.reopen(ALICE, complaint.ticket_no, "退款金额不对，应退 24 元。")
    assert complaint.status == REOPENED and complaint.rating is None
    assert complaint.clock_start == date(2026, 3, 7) and service.days_left(complaint) == 15  # a new period
    service.decide(east, complaint, "已补退 12 元。")
    assert notice_kinds() == ["filed", "assign", "reply", "decision", "reopen", "decision"]  # a rating is not told
    assert [n["body"] for n in notices()][3] == "经核查重复扣费属实，已退回 12 元。"
    assert audit_actions() == ["complaint_file", "complaint_assign", "complaint_reply", "complaint_decide",
                               "complaint_rate", "complaint_reopen", "complaint_decide"]
    assert [e.kind for e in complaint.events] == ["filed", "assign", "reply", "decision", "rating", "reopen",
                                                  "decision"]


def test_reopening_is_allowed_once_only(ctx):
    complaint = filed()
    with pytest.raises(ComplaintStateRefused):
        service.reopen(ALICE, complaint.ticket_no, "还没答复")  # not decided yet
    service.decide(ctx.staff(ctx.hq), complaint, "已处理。")
    with pytest.raises(ComplaintRefused) as refused:
        service.reopen(ALICE, complaint.ticket_no, "   ")
    assert refused.value.field == "reason"
    service.reopen(ALICE, complaint.ticket_no, "不满意")
    service.decide(ctx.staff(ctx.hq), complaint, "维持原处理意见。")
    before = counts()
    with pytest.raises(ComplaintStateRefused):
        service.reopen(ALICE, complaint.ticket_no, "还是不满意")
    assert complaint.status == DECIDED and complaint.reopen_count == 1 and counts() == before
    with pytest.raises(ComplaintNotFound):
        service.reopen(BOB, complaint.ticket_no, "不是我的投诉")


def test_rating_needs_a_decision_and_a_value_from_1_to_5(ctx):
    complaint = filed()
    with pytest.raises(ComplaintStateRefused):
        service.rate(ALICE, complaint.ticket_no, "5")
    service.decide(ctx.staff(ctx.hq), complaint, "已处理。")
    for bad in ("0", "6", "x", "", None, "４"):
        with pytest.raises(ComplaintRefused) as refused:
            service.rate(ALICE, complaint.ticket_no, bad)
        assert refused.value.field == "rating"
    with pytest.raises(ComplaintRefused) as refused:
        service.rate(ALICE, complaint.ticket_no, "4", "长" * 201)
    assert refused.value.field == "comment"
    service.rate(ALICE, complaint.ticket_no, "4")
    with pytest.raises(ComplaintStateRefused):
        service.rate(ALICE, complaint.ticket_no, "5")
    assert complaint.rating == 4 and complaint.status == CLOSED


@pytest.mark.parametrize(("values", "field"), [
    ({"description": ""}, "description"),
    ({"description": "   "}, "description"),
    ({"description": "长" * 1001}, "description"),
    ({"category": "nonsense"}, "category"),
    ({"category": ""}, "category"),
    ({"contact_channel": "fax"}, "contact_channel"),
    ({"contact_time": "midnight"}, "contact_time"),
    ({"idempotency_key": "not-a-key"}, "idempotency_key"),
    ({"transaction": "1:no-such-transaction"}, "transaction"),
    ({"transaction": "x" * 500}, "transaction"),
])
def test_bad_input_names_the_field_and_stores_nothing(ctx, values, field):
    with pytest.raises(ComplaintRefused) as refused:
        service.file_complaint(ALICE, form(**{k: v.strip() if k == "description" else v for k, v in values.items()}))
    assert refused.value.field == field
    assert counts() == (0, 0, 0) and audit_actions() == []


def test_a_related_transaction_must_be_one_of_the_customers_own(ctx):
    [alice_choice] = service.recent_transactions(ALICE)[:1]
    bob_choices = service.recent_transactions(BOB)
    assert bob_choices, "Bob's card received Alice's payment"
    with pytest.raises(ComplaintRefused) as refused:
        service.file_complaint(ALICE, form(transaction=bob_choices[0].value))
    assert refused.value.field == "transaction" and counts() == (0, 0, 0)
    complaint = service.file_complaint(ALICE, form(transaction=alice_choice.value))
    assert complaint.transaction_id == alice_choice.transaction_id
    assert "12.34" in complaint.transaction_summary and "元" in complaint.transaction_summary


def test_a_double_submit_creates_one_complaint(ctx):
    data = form()
    first = service.file_complaint(ALICE, data)
    again = service.file_complaint(ALICE, data)
    assert again.id == first.id and counts() == (1, 1, 1)
    with pytest.raises(ComplaintRefused) as refused:  # someone else's key (never shown to them) is refused
        service.file_complaint(BOB, data)
    assert refused.value.field == "idempotency_key" and counts() == (1, 1, 1)


def test_a_branch_sees_only_its_own_complaints_and_only_head_office_assigns(ctx):
    complaint = filed()
    east, west = ctx.staff(ctx.east), ctx.staff(ctx.west)
    with pytest.raises(ComplaintNotFound):
        service.staff_complaint(east, complaint.id)  # unassigned: head office's queue
    with pytest.raises(ComplaintStateRefused):
        service.assign(east, complaint, ctx.east_branch)
    service.assign(ctx.staff(ctx.hq), complaint, ctx.east_branch)
    assert service.staff_complaint(east, complaint.id).id == complaint.id
    with pytest.raises(ComplaintNotFound):
        service.staff_complaint(west, complaint.id)
    for bad in ("", "0", "abc", "99999", str(2**40)):
        with pytest.raises(ComplaintRefused):
            service.assign(ctx.staff(ctx.hq), complaint, bad)


def test_staff_texts_are_required_and_bounded(ctx):
    complaint = filed()
    hq = ctx.staff(ctx.hq)
    for step in (service.reply, service.decide):
        for bad in ("", "  ", "长" * 1001):
            with pytest.raises(ComplaintRefused) as refused:
                step(hq, complaint, bad)
            assert refused.value.field == "body"
    assert complaint.status == RECEIVED and counts() == (1, 1, 1)


def test_the_monthly_report_counts_by_branch_and_category(ctx, clock):
    hq = ctx.staff(ctx.hq)
    a, b, c = filed(category="fees"), filed(category="fees"), filed(category="privacy")
    unassigned = filed(category="other")
    service.assign(hq, a, ctx.east_branch)
    service.assign(hq, b, ctx.east_branch)
    service.assign(hq, c, ctx.west_branch)
    service.extend(hq, b, "30", "需调取录像资料")
    service.decide(hq, a, "已退费。")
    service.rate(ALICE, a.ticket_no, "5")
    clock.advance(days=20)
    service.decide(hq, c, "已处理。")  # 5 days late
    clock.at = clock.at.replace(month=4)  # a complaint of April is not in March's report
    filed(category="fees")
    rows = list(csv.DictReader(io.StringIO(service.report_csv(service.parse_month("2026-03")))))
    by_key = {(row["branch_code"], row["category"]): row for row in rows}
    assert set(by_key) == {("9101", "fees"), ("9102", "privacy"), ("", "other")}
    east_fees = by_key[("9101", "fees")]
    assert (east_fees["filed"], east_fees["decided"], east_fees["decided_on_time"], east_fees["open"],
            east_fees["extended_30"], east_fees["rated"], east_fees["average_rating"]) == ("2", "1", "1", "1", "1", "1",
                                                                                           "5.0")
    assert east_fees["branch_name"] == "东城支行" and east_fees["category_label"] == "收费与价格"
    west = by_key[("9102", "privacy")]
    assert (west["decided"], west["decided_on_time"]) == ("1", "0")
    assert by_key[("", "other")]["open"] == "1" and unassigned.branch_id is None
    with pytest.raises(ComplaintRefused):
        service.parse_month("2026-13")


def test_the_template_notice_fits_wechats_rules(ctx, app):
    app.config["COMPLAINT_TEMPLATE_ID"] = "tmpl-complaint"  # .env's COMPLAINT_TEMPLATE_ID
    complaint = filed()
    service.decide(ctx.staff(ctx.hq), complaint, "经核查，多扣的费用已全部退回您尾号 1234 的银行卡，请查收。" * 2)
    from sqlalchemy import select

    from {{ cookiecutter.bank_slug }}.outbox.models import Notice
    from {{ cookiecutter.bank_slug }}.outbox.topics import Recipient

    for row in db.session.scalars(select(Notice).where(Notice.topic == TOPIC.name)):
        payload = TOPIC.template_payload(row, Recipient(ALICE), app.config)
        assert payload["template_id"] == "tmpl-complaint" and payload["touser"] == ALICE
        fitted = fit_payload(payload)
        assert fitted.ok, fitted.problems
        assert fitted.payload["data"]["character_string1"]["value"] == complaint.ticket_no
    assert TOPIC.template_id(app.config) == "tmpl-complaint"


def test_the_report_command_writes_the_csv(ctx, app, tmp_path):
    filed(category="loan")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["complaints", "report", "--month", "2026-03"])
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.output)))
    assert (row["category"], row["filed"], row["open"], row["branch_name"]) == ("loan", "1", "1", "总行（待分派）")
    target = tmp_path / "march.csv"
    assert runner.invoke(args=["complaints", "report", "--month", "2026-03", "--output", str(target)]).exit_code == 0
    assert target.read_bytes().startswith("\ufeffmonth,".encode())
    bad = runner.invoke(args=["complaints", "report", "--month", "2026/03"])
    assert bad.exit_code == 2 and "--month" in bad.output
