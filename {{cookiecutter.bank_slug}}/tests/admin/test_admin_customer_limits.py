"""客户转账限额: a customer who lowered their limits has them raised again by branch staff, never above the bank's,
seen only by head office and the branch the customer's card is bound at, every change audited."""

import json

import pytest
from sqlalchemy import select

from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.transfers.models import CustomerLimit

from .conftest import csrf_of, logged_in

EAST_OPENID = "o-east-customer-0001"


@pytest.fixture
def lowered(panel):
    with panel.app.app_context():
        row = CustomerLimit(openid=EAST_OPENID, single_fen=5_000, daily_fen=10_000, updated_by="customer")
        db.session.add(row)
        db.session.commit()
        panel.limit_id = row.id
    return panel


def edit(client, row_id: int, **fields):
    path = f"/admin/customer_limits/edit/?id={row_id}"
    return client.post(path, data={"csrf_token": csrf_of(client, path), **fields})


def limit(app) -> CustomerLimit:
    with app.app_context():
        row = db.session.execute(select(CustomerLimit).where(CustomerLimit.openid == EAST_OPENID)).scalar_one()
        db.session.expunge(row)
        return row


def test_the_customers_branch_raises_the_limits_audited_with_the_openid_masked(lowered):
    client = logged_in(lowered.app, lowered.east)
    page = client.get("/admin/customer_limits/").get_data(as_text=True)
    assert "50.00" in page and EAST_OPENID not in page
    single = lowered.app.config["SINGLE_TRANSFER_LIMIT_FEN"] // 100
    answer = edit(client, lowered.limit_id, single_fen=str(single), daily_fen=str(single))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    row = limit(lowered.app)
    assert (row.single_fen, row.daily_fen, row.updated_by) == (single * 100, single * 100, lowered.east)
    with lowered.app.app_context():
        log = db.session.execute(select(AuditLog).where(AuditLog.target_type == "transfer_customer_limit")).scalar_one()
    assert log.action == "update" and json.loads(log.before)["single_fen"] == 5_000
    assert EAST_OPENID not in (log.before + log.after + str(log.target_id or ""))


@pytest.mark.parametrize("fields,problem", [
    ({"single_fen": "999999999", "daily_fen": "100"}, "不能高于本行规定的"),
    ({"single_fen": "100", "daily_fen": "999999999"}, "不能高于本行规定的"),
    ({"single_fen": "100", "daily_fen": "50"}, "单笔限额不能高于日累计限额"),
    ({"single_fen": "1.234", "daily_fen": "100"}, "单笔限额"),
    ({"single_fen": "0", "daily_fen": "100"}, "必须大于 0"),
])
def test_bad_limits_are_form_errors_and_nothing_changes(lowered, fields, problem):
    client = logged_in(lowered.app, lowered.head)
    answer = edit(client, lowered.limit_id, **fields)
    assert answer.status_code == 200 and problem in answer.get_data(as_text=True)
    assert (limit(lowered.app).single_fen, limit(lowered.app).daily_fen) == (5_000, 10_000)


def test_another_branch_sees_none_of_it(lowered):
    client = logged_in(lowered.app, lowered.west)
    assert EAST_OPENID[-4:] not in client.get("/admin/customer_limits/").get_data(as_text=True)
    path = f"/admin/customer_limits/edit/?id={lowered.limit_id}"
    assert client.get(path).status_code == 404
    answer = client.post(path, data={"csrf_token": csrf_of(client, "/admin/customer_limits/"), "single_fen": "100",
                                     "daily_fen": "100"})
    assert answer.status_code == 404 and limit(lowered.app).single_fen == 5_000
