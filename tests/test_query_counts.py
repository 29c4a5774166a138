"""A list costs as many SQL statements for 30 rows as for 3: what each row needs from other tables (the
patient of a queue entry, the department of a doctor, the roles of a user, the fee in force on a past visit)
comes in the same few queries, not in one query per row."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sized
from contextlib import contextmanager
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import event

from db.models.scheduling import Appointment
from hms_desktop.context import Context
from hms_desktop.services.admin import roles, users
from hms_desktop.services.admin.departments import create_department
from hms_desktop.services.reception import appointments, doctor_fees, doctors, queue
from hms_desktop.services.reception.doctor_fees import FeeInput
from hms_desktop.services.reception.doctor_schedules import ScheduleInput, set_weekly_schedule
from hms_desktop.services.reception.doctors import DoctorInput
from tests.reception_fixtures import MONDAY, TEN_AM, clinic_day, patient

Grow = Callable[[int], None]
Listing = Callable[[], Sized]


@contextmanager
def statements(ctx: Context) -> Iterator[list[str]]:
    """The SQL statements run on the store while the block runs."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)


def cost(ctx: Context, listing: Listing) -> tuple[int, int]:
    """(rows, statements) of one call of ``listing``, after a first call has warmed any cache."""
    listing()
    with statements(ctx) as seen:
        rows = len(listing())
    return rows, len(seen)


def cost_of_3_and_30(ctx: Context, grow: Grow, listing: Listing) -> tuple[int, int]:
    """The statements ``listing`` runs once ``grow`` has added 3 rows, and once it has added 27 more."""
    grow(3)
    rows_3, few = cost(ctx, listing)
    grow(27)
    rows_30, many = cost(ctx, listing)
    assert rows_30 - rows_3 == 27
    return few, many


def test_a_doctors_queue(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    ctx, doctor = clinic_day(system_ctx, make_user)
    made = iter(range(100))

    def walk_ins(n: int) -> None:
        for _ in range(n):
            i = next(made)
            queue.walk_in(ctx, patient(ctx, f"Walk-in Patient {i}", f"98450{i:05d}").id, doctor.id)
        if queue.queue_for(ctx, doctor.id).serving is None:  # one with the doctor, one skipped, the rest waiting
            queue.call_next(ctx, doctor.id)
            queue.skip(ctx, queue.queue_for(ctx, doctor.id).waiting[0].id)

    def entries() -> list[queue.QueueEntryView | None]:
        view = queue.queue_for(ctx, doctor.id)
        return [view.serving, *view.waiting, *view.skipped]

    few, many = cost_of_3_and_30(ctx, walk_ins, entries)
    assert few == many


def test_a_days_appointments(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    ctx, doctor = clinic_day(system_ctx, make_user)
    other = doctors.create_doctor(
        ctx, DoctorInput(make_user("Doctor").id, "Dr Ravi Menon", "ENT", "MBBS, MS", "KMC-51230", "Karnataka MC")
    )
    set_weekly_schedule(ctx, other.id, [ScheduleInput(0, time(10, 0), time(13, 0), 15, 2, date(2026, 11, 1))])
    both = [doctor, other]
    made = iter(range(100))

    def book(n: int) -> None:
        for _ in range(n):
            i = next(made)
            queue.walk_in(ctx, patient(ctx, f"Booked Patient {i}", f"98460{i:05d}").id, both[i % 2].id)

    few, many = cost_of_3_and_30(ctx, book, lambda: appointments.list_appointments(ctx, MONDAY))
    assert few == many


def test_the_doctors_list(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    made = iter(range(100))

    def add(n: int) -> None:
        for _ in range(n):
            i = next(made)
            dept = create_department(system_ctx, f"DEP{i}", f"Department {i}")
            user = make_user("Doctor", name=f"Doctor {i}")
            data = DoctorInput(user.id, f"Dr Number {i}", "General", "MBBS", f"KMC-{i:05d}", "KMC", dept.id)
            doctors.create_doctor(system_ctx, data)

    few, many = cost_of_3_and_30(system_ctx, add, lambda: doctors.list_doctors(system_ctx))
    assert few == many


def test_the_users_list(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    def add(n: int) -> None:
        for i in range(n):
            make_user("Receptionist", *(["Doctor"] if i % 2 else []))

    few, many = cost_of_3_and_30(system_ctx, add, lambda: users.list_users(system_ctx))
    assert few == many


def test_the_roles_list(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    made = iter(range(100))

    def add(n: int) -> None:
        for _ in range(n):
            role = roles.create_role(system_ctx, f"Role {next(made)}", ["patients.view", "appointments.view"])
            make_user(role.name)

    few, many = cost_of_3_and_30(system_ctx, add, lambda: roles.list_roles(system_ctx))
    assert few == many


def test_the_past_visits_behind_a_follow_up_fee(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    ctx, doctor = clinic_day(system_ctx, make_user)
    doctor_fees.set_fee(ctx, doctor.id, FeeInput("opd", "500", 0, date(2026, 1, 1)))
    doctor_fees.set_fee(ctx, doctor.id, FeeInput("follow_up", "300", 7, date(2026, 1, 1)))
    asha = patient(ctx, "Asha Verma", "9845000001").id
    made = iter(range(100))

    def visits(n: int) -> None:  # a paid visit, then follow-ups every third day
        with ctx.transaction() as tx:
            for i in (next(made) for _ in range(n)):
                tx.session.add(
                    Appointment(
                        code=f"APT-V{i}",
                        patient_id=asha,
                        doctor_id=doctor.id,
                        appointment_date=date(2026, 1, 1) + timedelta(days=3 * i),
                        slot_start=time(10, 0),
                        slot_end=time(10, 15),
                        appointment_type="follow_up" if i else "new",
                        status="completed",
                        booked_at=TEN_AM,
                    )
                )
            tx.commit()

    def charge() -> list[tuple[str, int, str]]:
        with ctx.transaction(readonly=True) as tx:
            return [doctor_fees.consultation_fee(tx.session, doctor.id, asha, MONDAY, "follow_up")]

    visits(3)
    _, few = cost(ctx, charge)
    visits(27)
    _, many = cost(ctx, charge)
    assert few == many
