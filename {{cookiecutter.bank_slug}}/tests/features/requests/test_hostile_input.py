"""Whatever is typed into the requests forms (the loan form, the booking and reschedule, the staff status change,
slots and closed days): an answer below 500, and a refused loan or booking stores nothing."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.requests.models import BranchRequest

from .conftest import EAST_OPENID, csrf, customer, logged_in

FUZZ = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HOSTILE = st.one_of(st.text(max_size=60), st.sampled_from(["\x00", "9" * 40, "-1", "1e9", "２０２６-１２-０６", "0.001",
                                                           "2026-02-30", "99999999999999999999.99", "' OR 1=1 --"]))


@FUZZ
@given(amount=HOSTILE, term=HOSTILE, branch=HOSTILE, product=HOSTILE, day=HOSTILE, slot=HOSTILE)
def test_hostile_requests_forms(setup, amount, term, branch, product, day, slot):
    panel, _product_id, _day, _slots = setup
    app = panel.app
    client = customer(app, EAST_OPENID)
    token = csrf(client, f"/h5/requests/card?branch=8801&day={_day.isoformat()}")
    loan = client.post("/h5/requests/loan", data={"csrf_token": token, "product": product, "amount": amount,
                                                  "term": term, "purpose": amount, "contact_time": term,
                                                  "branch": branch, "consent": "1"})
    card = client.post("/h5/requests/card", data={"csrf_token": token, "branch": branch, "day": day, "slot": slot})
    page = client.get("/h5/requests/card", query_string={"branch": branch, "day": day})
    assert loan.status_code < 500 and card.status_code < 500 and page.status_code < 500
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(BranchRequest))
        assert stored == (loan.status_code == 303) + (card.status_code == 303)
        db.session.query(BranchRequest).delete()
        db.session.commit()


@FUZZ
@given(status=HOSTILE, note=HOSTILE, weekday=HOSTILE, starts=HOSTILE, capacity=HOSTILE, day=HOSTILE)
def test_hostile_staff_forms(setup, status, note, weekday, starts, capacity, day):
    panel, _product_id, _day, _slots = setup
    staff = logged_in(panel.app, panel.east)
    token = csrf(staff, "/admin/request_appointments/")
    answers = [
        staff.post("/admin/request_loans/1/status", data={"csrf_token": token, "status": status, "note": note}),
        staff.post("/admin/request_appointments/slots", data={"csrf_token": token, "branch": note,
                                                              "weekday": weekday, "starts": starts, "ends": starts,
                                                              "capacity": capacity}),
        staff.post("/admin/request_appointments/closed", data={"csrf_token": token, "day": day, "reason": note}),
        staff.get("/admin/request_appointments/", query_string={"branch": note, "day": day}),
        staff.get("/admin/request_loans/", query_string={"status": status}),
    ]
    assert all(answer.status_code < 500 for answer in answers), [a.status_code for a in answers]
