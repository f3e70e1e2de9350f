"""The dashboard: bound customers, alerts delivered/failed and transfers per local day, scoped to the branch."""

from datetime import timedelta

from {{ cookiecutter.bank_slug }}.admin import stats
from {{ cookiecutter.bank_slug }}.app import FEATURES
from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.binding.service import bound_customers
from {{ cookiecutter.bank_slug }}.features.transfers.dashboard import transfers_per_day
from {{ cookiecutter.bank_slug }}.features.transfers.models import FAILED, TransferOrder
from {{ cookiecutter.bank_slug }}.shared.timeutil import utcnow

from .conftest import logged_in


def add_alerts(app, account_id: str, states: list[str], prefix: str, days_ago: int = 0) -> None:
    from {{ cookiecutter.bank_slug }}.features.alerts.models import Alert

    with app.app_context():
        for number, state in enumerate(states):
            finished = utcnow() - timedelta(days=days_ago) if state not in ("pending", "sending") else None
            db.session.add(Alert(source="ledger", source_txn_id=f"{prefix}{number}", account_id=account_id,
                                 kind="deposit", amount_fen=100, occurred_at=utcnow(), state=state,
                                 finished_at=finished))
        db.session.commit()


def test_alert_counts_are_scoped_to_the_branch(panel):
    add_alerts(panel.app, "A8801", ["delivered", "sms", "undeliverable", "expired", "pending"], "E")
    add_alerts(panel.app, "A8802", ["delivered"], "W")
    east = logged_in(panel.app, panel.east).get("/admin/").get_data(as_text=True)
    assert 'data-testid="alerts-delivered">2<' in east and 'data-testid="alerts-failed">2<' in east
    assert 'data-testid="alerts-chart"' in east
    head = logged_in(panel.app, panel.head).get("/admin/").get_data(as_text=True)
    assert 'data-testid="alerts-delivered">3<' in head and 'data-testid="alerts-failed">2<' in head


def test_alert_totals_are_those_of_the_charts_window(panel):
    add_alerts(panel.app, "A8801", ["delivered", "undeliverable"], "NEW", days_ago=1)
    add_alerts(panel.app, "A8801", ["delivered", "delivered", "expired"], "OLD", days_ago=stats.DAYS + 1)
    page = logged_in(panel.app, panel.head).get("/admin/").get_data(as_text=True)
    assert 'data-testid="alerts-delivered">1<' in page and 'data-testid="alerts-failed">1<' in page
    assert f"近 {stats.DAYS} 天动账提醒" in page


def test_a_bank_without_the_alerts_feature_gets_a_dashboard_without_its_panels(make_app, panel):
    app = make_app(ADMIN_PANEL_ENABLED="1", features=[f for f in FEATURES if f.name != "alerts"])
    page = logged_in(app, panel.head).get("/admin/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="transfers-chart"' in text
    assert 'data-testid="alerts-delivered"' not in text and 'data-testid="alerts-chart"' not in text


def test_transfers_are_counted_per_local_day(panel):
    app = panel.app
    with app.test_request_context("/admin/"):
        days = stats.last_days()
        today_start = days[-1][1]
        db.session.add_all([
            TransferOrder(idempotency_key="late-yesterday", openid="o1", binding_id=panel.east_branch.binding_id,
                          from_account_id="A8801", from_card_masked="6228 **** **** 1111", payee_number="1",
                          payee_name="x", payee_bank="", amount_fen=1, status=FAILED,
                          submitted_at=today_start - timedelta(minutes=1)),
            TransferOrder(idempotency_key="too-old", openid="o1", binding_id=panel.east_branch.binding_id,
                          from_account_id="A8801", from_card_masked="6228 **** **** 1111", payee_number="1",
                          payee_name="x", payee_bank="", amount_fen=1, status=FAILED,
                          submitted_at=days[0][1] - timedelta(minutes=1)),
            TransferOrder(idempotency_key="not-submitted", openid="o1", binding_id=panel.east_branch.binding_id,
                          from_account_id="A8801", from_card_masked="6228 **** **** 1111", payee_number="1",
                          payee_name="x", payee_bank="", amount_fen=1),
        ])
        db.session.commit()
        east = transfers_per_day("8801", days)
        assert len(east) == stats.DAYS and east[-1].day == days[-1][0]
        assert (east[-1].ok, east[-1].failed) == (1, 0)  # the fixture's posted transfer, today
        assert (east[-2].ok, east[-2].failed) == (0, 1)  # one minute before local midnight: yesterday
        assert sum(d.total for d in east) == 2
        assert sum(d.total for d in transfers_per_day("8802", days)) == 1
        assert sum(d.total for d in transfers_per_day(None, days)) == 3
        assert bound_customers("8801") == (1, 1) and bound_customers(None) == (2, 2)
