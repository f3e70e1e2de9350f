"""Card-opening appointments: slots with a capacity and closed days refuse bad bookings by field (nothing
stored), the reminder is an outbox row due at 10:00 bank time the day before (a fake clock claims it only
then), cancel and reschedule move the place and the reminder, staff mark arrived / no-show in their branch's
day list, and concurrent bookings never overbook a slot (threads; SQLite, and PostgreSQL with TEST_DATABASE_URL)."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from {{ cookiecutter.bank_slug }}.extensions import db
from {{ cookiecutter.bank_slug }}.features.requests import notify, service
from {{ cookiecutter.bank_slug }}.features.requests.models import BranchRequest, ClosedDay, SlotDay
from {{ cookiecutter.bank_slug }}.outbox.claims import claim
from {{ cookiecutter.bank_slug }}.outbox.models import Notice
from {{ cookiecutter.bank_slug }}.outbox.topics import payload_of

from .conftest import EAST_OPENID, WEST_OPENID, csrf, customer, logged_in


def _book(client, day, slot, branch="8801", path="/h5/requests/card"):
    token = csrf(client, f"/h5/requests/card?branch=8801&day={day.isoformat()}")
    return client.post(path, data={"csrf_token": token, "branch": branch, "day": str(day), "slot": str(slot)})


def _booked(app, slot_id, day):
    with app.app_context():
        return db.session.scalar(select(SlotDay.booked).where(SlotDay.slot_id == slot_id, SlotDay.day == day)) or 0


def test_bad_bookings_are_refused_by_field(setup):
    panel, _product, day, (nine, ten) = setup
    app = panel.app
    client = customer(app, EAST_OPENID)
    with app.app_context():
        today = service.bank_today()
        db.session.add(ClosedDay(branch_code="8801", day=day + timedelta(days=7), reason="节假日"))
        db.session.commit()
    cases = [
        (_book(client, today, nine), "day"),  # not after today
        (_book(client, today - timedelta(days=3), nine), "day"),  # the past
        (_book(client, day + timedelta(days=7), nine), "day"),  # closed
        (_book(client, day + timedelta(days=1), nine), "slot"),  # no such slot that weekday
        (_book(client, day, nine, branch="0000"), "branch"),
        (_book(client, day, "x"), "slot"),
    ]
    for response, field in cases:
        assert response.status_code == 400, field
        assert f'data-field="{field}"' in response.get_data(as_text=True)
    closed_page = client.get(f"/h5/requests/card?branch=8801&day={(day + timedelta(days=7)).isoformat()}")
    assert 'data-testid="closed"' in closed_page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BranchRequest)) == 0
        assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_full_slot_reminder_cancel_and_reschedule(setup):
    panel, _product, day, (nine, ten) = setup
    app = panel.app
    east, west = customer(app, EAST_OPENID), customer(app, WEST_OPENID)
    assert _book(east, day, ten).status_code == 303
    assert _book(east, day, ten).status_code == 303  # the same customer again: the one booking
    assert _booked(app, ten, day) == 1
    full = _book(west, day, ten)
    assert full.status_code == 409 and 'data-field="slot"' in full.get_data(as_text=True)
    with app.app_context():
        booking = db.session.scalar(select(BranchRequest))
        booking_id, reference = booking.id, booking.reference
        assert reference.startswith("BK")
        reminder = db.session.scalar(select(Notice).where(Notice.source == notify.SOURCE_REMINDER))
        zone = ZoneInfo(app.config["TIMEZONE"])
        due_local = datetime.combine(day - timedelta(days=1), datetime.min.time().replace(hour=10), zone)
        due = due_local.astimezone(UTC).replace(tzinfo=None)
        assert reminder.next_attempt_at == due and reminder.occurred_at == due
        assert "明天" in notify.notice_text(payload_of(reminder), app.config)
        # the fake clock: not claimed a minute before, claimed at the time
        assert reminder.id not in {r.id for r in claim(db.engine, "t", 50, due - timedelta(minutes=1), 30)}
    page = east.get(f"/h5/requests/{booking_id}").get_data(as_text=True)
    assert "身份证件" in page  # what to bring

    # reschedule to 09:00: the 10:00 place frees, the old reminder goes, a new one is due
    token = csrf(east, f"/h5/requests/{booking_id}")
    moved = east.post(f"/h5/requests/{booking_id}/reschedule",
                      data={"csrf_token": token, "branch": "8801", "day": str(day), "slot": str(nine)})
    assert moved.status_code == 303
    assert _booked(app, ten, day) == 0 and _booked(app, nine, day) == 1
    with app.app_context():
        reminders = list(db.session.scalars(select(Notice).where(Notice.source == notify.SOURCE_REMINDER)))
        assert len(reminders) == 1 and payload_of(reminders[0])["slot"] == "09:00-10:00"
    assert _book(west, day, ten).status_code == 303  # the freed place is bookable

    # cancel: the place and the pending reminder go, the customer is told
    assert east.post(f"/h5/requests/{booking_id}/cancel", data={"csrf_token": token}).status_code == 303
    assert _booked(app, nine, day) == 0
    with app.app_context():
        assert db.session.get(BranchRequest, booking_id).status == "cancelled"
        mine = [payload_of(n) for n in db.session.scalars(select(Notice).where(Notice.openid == EAST_OPENID))]
        assert [p["status"] for p in mine if not p["reminder"]] == ["booked", "booked", "cancelled"]
        assert not [p for p in mine if p["reminder"]]
        pending = set(db.session.scalars(select(Notice.id).where(Notice.source == notify.SOURCE_REMINDER)))
        claimed = {r.id for r in claim(db.engine, "t", 50, due + timedelta(minutes=1), 30)}
        assert len(pending) == 1 and pending <= claimed
        assert db.session.scalar(select(Notice.openid).where(Notice.id.in_(pending))) == WEST_OPENID


def test_staff_day_list_and_arrival(setup):
    panel, _product, day, (nine, ten) = setup
    app = panel.app
    east = customer(app, EAST_OPENID)
    _book(east, day, nine)
    with app.app_context():
        booking_id = db.session.scalar(select(BranchRequest.id))
    staff = logged_in(app, panel.east)
    listing = staff.get(f"/admin/request_appointments/?branch=8801&day={day.isoformat()}").get_data(as_text=True)
    assert 'data-testid="appointment-row"' in listing
    other = logged_in(app, panel.west)
    assert 'data-testid="appointment-row"' not in other.get(
        f"/admin/request_appointments/?branch=8801&day={day.isoformat()}").get_data(as_text=True)
    token = csrf(other, "/admin/request_appointments/")
    assert other.post(f"/admin/request_appointments/{booking_id}/status",
                      data={"csrf_token": token, "status": "arrived"}).status_code == 404
    token = csrf(staff, "/admin/request_appointments/")
    assert staff.post(f"/admin/request_appointments/{booking_id}/status",
                      data={"csrf_token": token, "status": "withdrawn"}).status_code == 400
    assert staff.post(f"/admin/request_appointments/{booking_id}/status",
                      data={"csrf_token": token, "status": "arrived"}).status_code == 303
    assert staff.post(f"/admin/request_appointments/{booking_id}/status",
                      data={"csrf_token": token, "status": "no_show"}).status_code == 400  # final
    with app.app_context():
        last = db.session.scalars(select(Notice).order_by(Notice.id.desc())).first()
        assert payload_of(last)["status"] == "arrived"
    # staff set up slots and closed days; bad values named
    bad = staff.post("/admin/request_appointments/slots", data={"csrf_token": token, "branch": "8801",
                                                                "weekday": "7", "starts": "09:00", "ends": "10:00",
                                                                "capacity": "3"})
    assert bad.status_code == 400
    assert staff.post("/admin/request_appointments/slots", data={
        "csrf_token": token, "branch": "8801", "weekday": "0", "starts": "14:00", "ends": "15:00",
        "capacity": "3"}).status_code == 303
    past = staff.post("/admin/request_appointments/closed", data={"csrf_token": token, "branch": "8801",
                                                                 "day": "2000-01-01"})
    assert past.status_code == 400


def test_concurrent_bookings_never_overbook(setup):
    panel, _product, day, (nine, _ten) = setup  # 09:00 takes 2
    app = panel.app
    results, errors = [], []

    def book(n):
        try:
            with app.app_context():
                try:
                    service.book_appointment(f"o-race-{n:024d}", None, {"branch": "8801", "day": str(day),
                                                                        "slot": str(nine)})
                    results.append("ok")
                except service.SlotFull:
                    results.append("full")
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=book, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == ["full"] * 4 + ["ok"] * 2
    assert _booked(app, nine, day) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BranchRequest)) == 2
