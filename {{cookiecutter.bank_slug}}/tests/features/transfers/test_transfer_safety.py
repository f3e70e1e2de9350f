"""Transfer safety: 普通/次日到账 held in the ledger and released by the dispatcher's schedule (a fake clock), revoked
by the customer before that (撤销) and every wrong second step refused with its reason, a revocation racing the
release (exactly one wins), the new-payee warning and limit, 常用收款人, and each fraud rule holding a transfer for
the review list, where staff release or refuse it, audited and told to the customer."""

import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }} import settings
from {{ cookiecutter.bank_slug }}.admin.audit_models import AuditLog
from {{ cookiecutter.bank_slug }}.core_banking.ledger.accounts import HOLD_ACCOUNT_ID
from {{ cookiecutter.bank_slug }}.core_banking.ledger.models import Hold, JournalEntry
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.transfers import safety, service
from {{ cookiecutter.bank_slug }}.features.transfers.models import TransferOrder, TransferPreference
from {{ cookiecutter.bank_slug }}.features.transfers.notify import RELEASE_TOPIC
from {{ cookiecutter.bank_slug }}.outbox.dispatcher import Dispatcher
from {{ cookiecutter.bank_slug }}.outbox.models import Notice
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from ...admin.conftest import add_staff, logged_in
from ...ledger_helpers import check
from .test_transfer_h5 import (
    ALICE,
    BOB,
    CSRF,
    OTHER_BANK_CARD,
    acknowledge,
    balances,
    browser,
    confirm,
    open_bank,
    orders,
    outcome_notices,
    reason,
    submit,
)


@pytest.fixture
def bank(make_app):
    with open_bank(make_app, ADMIN_PANEL_ENABLED="1") as opened:
        yield opened


def pay(service_client, bank, **fields):
    placed, csrf, key = submit(service_client, bank, **fields)
    assert placed.status_code == 303, reason(placed)
    done = confirm(service_client, key, csrf)
    assert done.status_code == 303 and done.headers["Location"] == f"/h5/transfer/result/{key}", reason(done)
    return key, csrf


def order_of(bank, key) -> TransferOrder:
    with bank.app.app_context():
        order = db.session.scalar(select(TransferOrder).where(TransferOrder.idempotency_key == key))
        db.session.expunge(order)
        return order


def dispatch(bank, at: datetime) -> None:
    """`flask alerts drain` with the dispatcher's clock at `at`: whatever is due by then is run or sent."""
    dispatcher = Dispatcher(bank.app, clock=lambda: at)
    try:
        dispatcher.drain()
    finally:
        dispatcher.close()


def ledger_ok(bank) -> None:
    with bank.app.app_context():
        report = check(db.engine)
    assert report.ok, report.breaches


def hold_balance(bank) -> int:
    return balances(bank).get(HOLD_ACCOUNT_ID, 0)


def release_rows(bank) -> list:
    with bank.app.app_context():
        return list(db.session.execute(select(Notice.state, Notice.next_attempt_at)
                                       .where(Notice.topic == RELEASE_TOPIC)).all())


# -- 普通到账 / 次日到账 ---------------------------------------------------------------------------

def test_a_normal_arrival_is_held_then_released_by_the_schedule(bank):
    before = balances(bank)
    customer = browser(bank)
    key, _ = pay(customer, bank, arrival="normal", amount="150")
    order = order_of(bank, key)
    assert order.status == "held" and order.arrival == "normal"
    assert order.release_at - order.submitted_at == timedelta(minutes=120)
    page = customer.get(f"/h5/transfer/result/{key}").get_data(as_text=True)
    assert "待到账" in page and 'data-testid="revoke"' in page
    held = balances(bank)
    assert held[bank.accounts[1]] == before[bank.accounts[1]] - 15_000  # the payer is debited at once
    assert held[bank.accounts[3]] == before[bank.accounts[3]]  # the payee is not, yet
    assert hold_balance(bank) == 15_000
    ledger_ok(bank)

    dispatch(bank, order.release_at - timedelta(minutes=1))  # not due yet: nothing moves
    assert order_of(bank, key).status == "held" and balances(bank) == held
    dispatch(bank, order.release_at + timedelta(seconds=1))
    assert order_of(bank, key).status == "posted"
    after = balances(bank)
    assert after[bank.accounts[3]] == before[bank.accounts[3]] + 15_000 and hold_balance(bank) == 0
    assert [state for state, _ in release_rows(bank)] == ["delivered"]
    phrases = [notice["phrase3"] for notice in outcome_notices(bank)]
    assert phrases == ["待到账", "转账成功"]  # each step told (two dispatches: in this order)
    ledger_ok(bank)


def test_next_day_arrival_is_released_at_the_configured_hour_the_next_day():
    rules = safety.Safety(120, 9, 1, 24, 3, 60, 23, 6, 1, 24, 1, "Asia/Shanghai")
    late = datetime(2026, 3, 1, 15, 30)  # 23:30 in Shanghai
    assert safety.release_time("next_day", late, rules) == datetime(2026, 3, 2, 1, 0)  # 09:00 the next day
    assert safety.release_time("normal", late, rules) == late + timedelta(hours=2)
    assert safety.release_time("realtime", late, rules) is None


def test_the_customers_default_arrival_starts_the_form(bank):
    customer = browser(bank)
    page = customer.get("/h5/transfer/limits").get_data(as_text=True)
    csrf = CSRF.search(page).group(1)
    assert customer.post("/h5/transfer/arrival", data={"csrf_token": csrf, "arrival": "soon"}).status_code == 400
    assert customer.post("/h5/transfer/arrival", data={"csrf_token": csrf, "arrival": "next_day"}).status_code == 303
    form = customer.get("/h5/transfer").get_data(as_text=True)
    assert 'value="next_day" data-testid="arrival-next_day"\n             checked' in form
    with bank.app.app_context():
        assert db.session.scalar(select(TransferPreference.default_arrival)) == "next_day"


def test_an_unknown_arrival_is_refused_naming_the_field(bank):
    placed, _, _ = submit(browser(bank), bank, arrival="tomorrow")
    assert placed.status_code == 400 and "到账方式" in reason(placed)
    assert orders(bank) == []


# -- 撤销 -------------------------------------------------------------------------------------------

def test_the_customer_revokes_before_the_release_and_a_second_revocation_is_answered(bank):
    before = balances(bank)
    customer = browser(bank)
    key, csrf = pay(customer, bank, arrival="next_day", amount="80")
    revoked = customer.post(f"/h5/transfer/revoke/{key}", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    page = customer.get(f"/h5/transfer/result/{key}").get_data(as_text=True)
    assert "转账已撤销" in page and 'data-testid="revoke"' not in page
    assert balances(bank) == {**before, HOLD_ACCOUNT_ID: 0}
    assert order_of(bank, key).status == "revoked" and release_rows(bank) == []  # the schedule is gone

    again = customer.post(f"/h5/transfer/revoke/{key}", data={"csrf_token": csrf})
    assert again.status_code == 409 and "已撤销" in reason(again)
    with bank.app.app_context():  # a release of the revoked one (a late task) moves nothing
        assert service.release_order(order_of(bank, key).id).status == "revoked"
    dispatch(bank, utcnow() + timedelta(hours=3))  # past the release time it had
    assert balances(bank) == {**before, HOLD_ACCOUNT_ID: 0}
    assert sorted(n["phrase3"] for n in outcome_notices(bank)) == sorted(["待到账", "已撤销"])  # one batch: any order
    ledger_ok(bank)


def test_a_revocation_after_the_release_is_refused_and_moves_nothing(bank):
    customer = browser(bank)
    key, csrf = pay(customer, bank, arrival="normal", amount="60")
    dispatch(bank, order_of(bank, key).release_at + timedelta(seconds=1))
    released = balances(bank)
    late = customer.post(f"/h5/transfer/revoke/{key}", data={"csrf_token": csrf})
    assert late.status_code == 409 and "已到账，无法撤销" in reason(late)
    assert balances(bank) == released and order_of(bank, key).status == "posted"
    now_key, now_csrf = pay(customer, bank, amount="10")  # 实时到账 has nothing to revoke
    refused = customer.post(f"/h5/transfer/revoke/{now_key}", data={"csrf_token": now_csrf})
    assert refused.status_code == 409 and "已到账" in reason(refused)
    bob = browser(bank, BOB)  # another customer's transfer looks like none
    assert bob.post(f"/h5/transfer/revoke/{key}", data={"csrf_token": CSRF.search(
        bob.get("/h5/transfer").get_data(as_text=True)).group(1)}).status_code == 404
    ledger_ok(bank)


def test_a_revocation_interrupted_at_the_core_leaves_the_transfer_held(bank, monkeypatch):
    from {{ cookiecutter.bank_slug }}.core_banking.current import get_core
    from {{ cookiecutter.bank_slug }}.core_banking.port import CoreUnavailable

    customer = browser(bank)
    key, csrf = pay(customer, bank, arrival="normal", amount="30")
    held = balances(bank)
    with bank.app.app_context():
        core = get_core().adapter
    monkeypatch.setattr(type(core), "revoke_transfer", lambda self, key: (_ for _ in ()).throw(CoreUnavailable()))
    answer = customer.post(f"/h5/transfer/revoke/{key}", data={"csrf_token": csrf})
    assert answer.status_code == 503 and order_of(bank, key).status == "held" and balances(bank) == held
    monkeypatch.undo()
    assert customer.post(f"/h5/transfer/revoke/{key}", data={"csrf_token": csrf}).status_code == 303
    assert order_of(bank, key).status == "revoked"
    ledger_ok(bank)


def race(bank, order_id: int) -> dict:
    """The scheduler's release and the customer's revocation of one order, started together on two threads."""
    start = threading.Barrier(2)
    outcomes = {}

    def release():
        with bank.app.app_context():
            start.wait()
            outcomes["release"] = service.release_order(order_id).status

    def revoke():
        with bank.app.app_context():
            order = db.session.get(TransferOrder, order_id)
            start.wait()
            try:
                outcomes["revoke"] = service.revoke_order(ALICE, order).status
            except service.RevokeRefused as exc:
                outcomes["revoke"] = exc.code

    threads = [threading.Thread(target=release), threading.Thread(target=revoke)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_revocation_racing_the_release_exactly_one_wins(bank):
    """Threads on the real database (PostgreSQL with TEST_DATABASE_URL): the release and the revocation start
    together, again and again; each time one of them happened, never both, and the ledger adds up."""
    customer = browser(bank)
    keys = [pay(customer, bank, arrival="normal", amount="20")[0] for _ in range(4)]
    for key in keys:
        outcomes = race(bank, order_of(bank, key).id)
        final = order_of(bank, key).status
        assert final in ("posted", "revoked"), outcomes
        with bank.app.app_context():
            hold = db.session.scalar(select(Hold).where(Hold.idempotency_key == key))
            settled = db.session.scalar(select(func.count(JournalEntry.id)).where(
                JournalEntry.idempotency_key.in_((f"release:{hold.id}", f"revoke:{hold.id}"))))
        assert settled == 1 and hold.status == ("released" if final == "posted" else "revoked")
        if final == "posted":
            assert outcomes["revoke"] == "already_released"
        else:
            assert outcomes["revoke"] == "revoked"
    assert hold_balance(bank) == 0
    ledger_ok(bank)


# -- new payees ------------------------------------------------------------------------------------

def test_a_first_transfer_to_a_payee_needs_the_warning_acknowledged(bank):
    customer = browser(bank)
    placed, csrf, key = submit(customer, bank, warning=True)
    assert placed.headers["Location"] == f"/h5/transfer/warning/{key}"
    page = customer.get(placed.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="fraud-warning"' in page and "安全账户" in page and bank.cards[3] not in page
    assert customer.get(f"/h5/transfer/confirm/{key}").headers["Location"] == f"/h5/transfer/warning/{key}"
    skipped = confirm(customer, key, csrf)  # the PIN step cannot be reached around the warning
    assert skipped.status_code == 303 and skipped.headers["Location"] == f"/h5/transfer/warning/{key}"
    unticked = customer.post(f"/h5/transfer/warning/{key}", data={"csrf_token": csrf})
    assert unticked.status_code == 400 and "我已阅读" in reason(unticked)
    with bank.app.app_context():
        order = db.session.scalar(select(TransferOrder).where(TransferOrder.idempotency_key == key))
        with pytest.raises(service.WarningNotAcknowledged):
            service.confirm_order(ALICE, order, "123456", settings.of().transfers)
    assert acknowledge(customer, key, csrf).headers["Location"] == f"/h5/transfer/confirm/{key}"
    assert confirm(customer, key, csrf).headers["Location"] == f"/h5/transfer/result/{key}"
    again, _, second = submit(customer, bank, warning=True, amount="5")  # paid before: no warning
    assert again.headers["Location"] == f"/h5/transfer/confirm/{second}"
    assert [o.new_payee for o in orders(bank)] == [True, False]


@pytest.fixture
def limited(make_app):
    with open_bank(make_app, NEW_PAYEE_LIMIT_YUAN="300", NEW_PAYEE_HOURS="24") as opened:
        yield opened


def test_new_payees_have_a_lower_limit_for_their_first_hours(limited):
    customer = browser(limited)
    assert pay(customer, limited, amount="200")
    refused, _, _ = submit(customer, limited, amount="150")
    assert refused.status_code == 400
    assert "首次转账后 24 小时内累计不超过 300.00 元（剩余 100.00 元）" in reason(refused)
    assert pay(customer, limited, amount="100")
    other, _, _ = submit(customer, limited, payee_number=OTHER_BANK_CARD, payee_name="赵六", payee_bank="ICBC",
                         amount="301")
    assert other.status_code == 400 and "300.00" in reason(other)
    with limited.app.app_context():  # a day later the payee is an old one
        for order in db.session.scalars(select(TransferOrder)):
            order.submitted_at -= timedelta(hours=25)
        db.session.commit()
    assert pay(customer, limited, amount="150")


def test_recent_payees_are_offered_masked_and_picked_without_retyping(bank):
    customer = browser(bank)
    pay(customer, bank, amount="12")
    form = customer.get("/h5/transfer").get_data(as_text=True)
    assert 'data-testid="recent-payee"' in form and bank.cards[3] not in form and "李娜" not in form
    earlier = orders(bank)[0]
    key, _ = pay(customer, bank, recent_payee=str(earlier.id), payee_number="", payee_name="", amount="3")
    picked = order_of(bank, key)
    assert (picked.payee_number, picked.payee_name, picked.new_payee) == (bank.cards[3], "李娜", False)
    bob = browser(bank, BOB)  # another customer's order id picks nothing
    stolen, _, _ = submit(bob, bank, binding_id=str(bank.bindings[3]), recent_payee=str(earlier.id),
                          payee_number="", payee_name="")
    assert stolen.status_code == 400 and "常用收款人" in reason(stolen)


# -- fraud rules and the review list ---------------------------------------------------------------

@pytest.fixture
def rules(make_app, request):
    """A bank whose one rule under test is live (the others stay out of the way)."""
    rule = request.param
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    config = {
        "night": {"FRAUD_NIGHT_START_HOUR": str(hour), "FRAUD_NIGHT_END_HOUR": str((hour + 2) % 24),
                  "FRAUD_NIGHT_AMOUNT_YUAN": "100", "TIMEZONE": "Asia/Shanghai"},
        "binding": {"FRAUD_NEW_BINDING_HOURS": "24", "FRAUD_NEW_BINDING_AMOUNT_YUAN": "100"},
        "payees": {"FRAUD_NEW_PAYEES_COUNT": "2", "FRAUD_NEW_PAYEES_MINUTES": "60"},
    }[rule]
    with open_bank(make_app, ADMIN_PANEL_ENABLED="1", **config) as opened:
        opened.rule = rule
        yield opened


def _trigger(bank, customer) -> str:
    if bank.rule == "payees":
        pay(customer, bank, amount="50")  # the first new payee passes
        return pay(customer, bank, payee_number=OTHER_BANK_CARD, payee_name="赵六", payee_bank="ICBC",
                   amount="50")[0]
    return pay(customer, bank, amount="150")[0]


EXPECTED = {"night": safety.RULE_NIGHT, "binding": safety.RULE_NEW_BINDING, "payees": safety.RULE_NEW_PAYEES}


@pytest.mark.parametrize("rules", ["night", "binding", "payees"], indirect=True)
@pytest.mark.parametrize("decision", ["release", "refuse"])
def test_each_rule_holds_the_transfer_for_review_and_staff_decide(rules, decision):
    bank = rules
    customer = browser(bank)
    key = _trigger(bank, customer)
    order = order_of(bank, key)
    assert order.status == "under_review" and order.review_rules == EXPECTED[bank.rule]
    assert order.release_at is None  # never released by the clock
    page = customer.get(f"/h5/transfer/result/{key}").get_data(as_text=True)
    assert "转账待核实" in page
    held = balances(bank)
    dispatch(bank, utcnow() + timedelta(hours=20))  # no clock releases it
    assert order_of(bank, key).status == "under_review" and balances(bank) == held

    staff = logged_in(bank.app, add_staff(bank.app, "hq_reviewer"))
    listing = staff.get("/admin/transfer_review/").get_data(as_text=True)
    assert f'data-order="{order.id}"' in listing and bank.cards[1] not in listing and ALICE not in listing
    csrf = CSRF.search(listing).group(1)
    short = staff.post(f"/admin/transfer_review/{order.id}/decide", data={
        "csrf_token": csrf, "decision": decision, "note": "好"})
    assert short.status_code == 303 and order_of(bank, key).status == "under_review"
    done = staff.post(f"/admin/transfer_review/{order.id}/decide", data={
        "csrf_token": csrf, "decision": decision, "note": "10:05 致电本人，确认自愿转账"})
    assert done.status_code == 303
    final = order_of(bank, key)
    amount = final.amount_fen
    if decision == "release":
        assert final.status in ("posted", "pending_settlement") and final.reviewed_by == "hq_reviewer"
        assert balances(bank)[bank.accounts[1]] == held[bank.accounts[1]]
    else:
        assert final.status == "refused"
        assert balances(bank)[bank.accounts[1]] == held[bank.accounts[1]] + amount
    assert hold_balance(bank) == 0
    with bank.app.app_context():
        log = db.session.scalar(select(AuditLog).where(AuditLog.target_type == "transfer_review"))
    assert log.action == f"review_{decision}" and log.staff_username == "hq_reviewer"
    assert json.loads(log.before)["status"] == "under_review" and json.loads(log.after)["status"] == final.status
    again = staff.post(f"/admin/transfer_review/{order.id}/decide", data={
        "csrf_token": csrf, "decision": "release", "note": "再次放行试试看"})
    assert again.status_code == 303 and order_of(bank, key).status == final.status  # decided once
    phrases = [n["phrase3"] for n in outcome_notices(bank)]
    assert "待核实" in phrases[:-1] and phrases[-1] in ("转账成功", "转账已受理", "已取消")  # the decision, last
    ledger_ok(bank)


@pytest.mark.parametrize("rules", ["binding"], indirect=True)
def test_the_customer_may_revoke_a_transfer_under_review(rules):
    customer = browser(rules)
    key = _trigger(rules, customer)
    csrf = CSRF.search(customer.get(f"/h5/transfer/result/{key}").get_data(as_text=True)).group(1)
    assert customer.post(f"/h5/transfer/revoke/{key}", data={"csrf_token": csrf}).status_code == 303
    assert order_of(rules, key).status == "revoked"
    staff = logged_in(rules.app, add_staff(rules.app, "hq_reviewer"))
    listing = staff.get("/admin/transfer_review/").get_data(as_text=True)
    assert "暂无待核实的转账" in listing
    ledger_ok(rules)


def test_the_sweep_releases_what_is_due_and_leaves_the_rest(bank):
    customer = browser(bank)
    due, _ = pay(customer, bank, arrival="normal", amount="11")
    later, _ = pay(customer, bank, arrival="next_day", amount="12")
    with bank.app.app_context():
        order = db.session.scalar(select(TransferOrder).where(TransferOrder.idempotency_key == due))
        order.release_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    swept = bank.app.test_cli_runner().invoke(args=["transfers", "release-due"])
    assert swept.exit_code == 0 and "released 1 due transfer(s)" in swept.output
    assert (order_of(bank, due).status, order_of(bank, later).status) == ("posted", "held")
    dispatch(bank, utcnow() + timedelta(hours=3))  # the due one's scheduled row finds it released: nothing twice
    assert order_of(bank, due).status == "posted" and hold_balance(bank) == 1_200
    ledger_ok(bank)
