"""Doctors' days of slots and booking: every rule with its bad input (typed error naming the field,
nothing written), rescheduling, cancelling, no-shows and the status log."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from db.models.hospital import IdSequence
from db.models.scheduling import Appointment, AppointmentStatusLog
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.services.reception import appointments as appt
from hms_desktop.services.reception.appointments import BookingInput
from hms_desktop.services.reception.doctor_schedules import request_leave
from hms_desktop.services.reception.doctors import DoctorView
from tests.reception_fixtures import MONDAY, clinic_day, patient


@pytest.fixture
def day(system_ctx: Context, make_user) -> tuple[Context, DoctorView]:  # type: ignore[no-untyped-def]
    return clinic_day(system_ctx, make_user)


def written(ctx: Context) -> tuple[int, int, int]:
    with ctx.transaction(readonly=True) as tx:
        return (
            int(tx.session.scalar(select(func.count()).select_from(Appointment)) or 0),
            int(tx.session.scalar(select(func.count()).select_from(AppointmentStatusLog)) or 0),
            int(tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0))) or 0),
        )


def test_a_day_of_slots(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    p = patient(ctx, "Asha Verma", "9845000001")
    appt.book_appointment(ctx, BookingInput(p.id, doctor.id, MONDAY, time(10, 30)))
    q = patient(ctx, "Bina Shah", "9845000002")
    appt.book_appointment(ctx, BookingInput(q.id, doctor.id, MONDAY, time(10, 30)))
    slots = appt.day_slots(ctx, doctor.id, MONDAY)
    assert len(slots.slots) == 12 and not slots.on_leave
    by_start = {s.start: s for s in slots.slots}
    assert by_start[time(10, 30)].state == "full" and by_start[time(10, 30)].booked == 2
    assert by_start[time(10, 0)].state == "free" and by_start[time(12, 45)].end == time(13, 0)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(minutes=20)
    assert {s.start: s.state for s in appt.day_slots(ctx, doctor.id, MONDAY).slots}[time(10, 0)] == "past"
    request_leave(ctx, doctor.id, date(2026, 12, 7), date(2026, 12, 8), "Conference")
    leave_day = appt.day_slots(ctx, doctor.id, date(2026, 12, 7))
    assert leave_day.on_leave and leave_day.leave_reason == "Conference"


def test_booking_gives_a_code_and_logs_the_status(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    p = patient(ctx, "Asha Verma", "9845000001")
    a = appt.book_appointment(ctx, BookingInput(p.id, doctor.id, MONDAY, time(11, 0), "new", "fever"))
    assert a.code == "APT-2026-000001" and a.status == "booked" and a.slot_end == time(11, 15)
    history = appt.status_history(ctx, a.id)
    assert [(f, t) for f, t, _, _ in history] == [(None, "booked")]


def test_booking_rules(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    a, b, c = (patient(ctx, n, f"98450000{i:02d}") for i, n in enumerate(["Asha Verma", "Bina Shah", "Charu Das"]))
    appt.book_appointment(ctx, BookingInput(a.id, doctor.id, MONDAY, time(10, 45)))
    appt.book_appointment(ctx, BookingInput(b.id, doctor.id, MONDAY, time(10, 45)))
    request_leave(ctx, doctor.id, date(2026, 12, 7), date(2026, 12, 7), "Conference")
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(minutes=40)  # 10:40
    cases = [
        (BookingInput(c.id, doctor.id, date(2026, 12, 7), time(10, 0)), "day", "on leave"),
        (BookingInput(c.id, doctor.id, MONDAY, time(14, 0)), "slot_start", "outside"),
        (BookingInput(c.id, doctor.id, date(2026, 12, 1), time(10, 0)), "slot_start", "outside"),  # Tuesday: no hours
        (BookingInput(c.id, doctor.id, MONDAY, time(10, 45)), "slot_start", "full (2 of 2)"),
        (BookingInput(c.id, doctor.id, MONDAY, time(10, 15)), "slot_start", "in the past"),
        (BookingInput(c.id, doctor.id, date(2026, 11, 23), time(11, 0)), "day", "in the past"),
        (BookingInput(a.id, doctor.id, MONDAY, time(10, 45)), "patient_id", "already booked"),
        (BookingInput(c.id, doctor.id, MONDAY, time(11, 0), "vip"), "appointment_type", "not an appointment type"),
    ]
    for data, field, text in cases:
        before = written(ctx)
        with pytest.raises(ValidationError) as err:
            appt.book_appointment(ctx, data)
        assert (err.value.field, text in err.value.message) == (field, True), err.value.message
        assert written(ctx) == before
    emergency = appt.book_appointment(ctx, BookingInput(c.id, doctor.id, MONDAY, time(10, 45), "emergency"))
    assert emergency.status == "booked"  # an emergency is not turned away by a full slot


def test_reschedule_cancel_and_no_show(day: tuple[Context, DoctorView]) -> None:
    ctx, doctor = day
    p = patient(ctx, "Asha Verma", "9845000001")
    first = appt.book_appointment(ctx, BookingInput(p.id, doctor.id, MONDAY, time(11, 0)))
    moved = appt.reschedule(ctx, first.id, date(2026, 12, 7), time(10, 15), "patient asked")
    assert moved.day == date(2026, 12, 7) and moved.code != first.code
    with ctx.transaction(readonly=True) as tx:
        old = tx.session.get(Appointment, first.id)
        new = tx.session.get(Appointment, moved.id)
        assert old is not None and new is not None
        assert old.status == "cancelled" and "Rescheduled" in (old.cancel_reason or "")
        assert new.rescheduled_from_id == old.id
    with pytest.raises(Conflict):
        appt.reschedule(ctx, first.id, MONDAY, time(12, 0))
    with pytest.raises(ValidationError) as err:
        appt.cancel_appointment(ctx, moved.id, "  ")
    assert err.value.field == "reason"
    appt.cancel_appointment(ctx, moved.id, "Feeling better")
    with pytest.raises(Conflict):
        appt.cancel_appointment(ctx, moved.id, "again")
    late = appt.book_appointment(ctx, BookingInput(p.id, doctor.id, MONDAY, time(12, 0)))
    with pytest.raises(Conflict, match="not come yet"):
        appt.mark_no_show(ctx, late.id)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(hours=2, minutes=30)
    assert appt.mark_no_show(ctx, late.id).status == "no_show"
    statuses = [t for _, t, _, _ in appt.status_history(ctx, late.id)]
    assert statuses == ["booked", "no_show"]
