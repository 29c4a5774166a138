"""A consultation-room day for the clinical tests, on the reception clinic day (Monday 30 November 2026,
10:00 in Bengaluru; Dr Meera Iyer sees patients 10:00-13:00 in 15-minute slots, two per slot).

``clinical_day(system_ctx, make_user) -> ClinicalDay``: real staff accounts signed in as themselves (the
permissions of their roles, read from the store): Dr Meera Iyer, a second doctor Dr Rahul Menon (same hours),
nurse Lata Pillai, receptionist Front Desk; Dr Iyer's fees (OPD Rs 500, follow-up Rs 300 free within 7 days
of a paid visit, emergency Rs 800, from 1 January 2026); and Kavya Nair (F, born 1 June 1985) booked at 10:00
("cough and fever") and checked in: token 1, waiting.

Helpers: ``signed_in(ctx, user_id)``, ``checked_in(day, name, phone, ...)`` for more patients in today's queue,
``past_visit(day, patient_id, on, ...)`` for a completed earlier visit written directly (no schedule needed).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from db.models.identity import User
from db.models.scheduling import Appointment
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.security.actors import load_actor
from hms_desktop.series import next_code
from hms_desktop.services.reception import appointments as appt
from hms_desktop.services.reception import queue
from hms_desktop.services.reception.appointments import AppointmentView, BookingInput, appointment_series
from hms_desktop.services.reception.doctor_fees import FeeInput, set_fee
from hms_desktop.services.reception.doctor_schedules import ScheduleInput, set_weekly_schedule
from hms_desktop.services.reception.doctors import DoctorInput, DoctorView, create_doctor
from hms_desktop.services.reception.patients import PatientView
from hms_desktop.services.reception.queue import QueueEntryView
from hms_desktop.settings import clinic_settings
from tests.reception_fixtures import MONDAY, TEN_AM, clinic_day, patient

FEES_FROM = date(2026, 1, 1)
OPD_PAISE = 50_000
FOLLOW_UP_PAISE = 30_000
EMERGENCY_PAISE = 80_000
FREE_DAYS = 7

__all__ = [
    "EMERGENCY_PAISE",
    "FOLLOW_UP_PAISE",
    "FREE_DAYS",
    "MONDAY",
    "OPD_PAISE",
    "TEN_AM",
    "ClinicalDay",
    "checked_in",
    "clinical_day",
    "past_visit",
    "signed_in",
]


@dataclass(frozen=True)
class ClinicalDay:
    system: Context  # everything allowed, at the day's clock
    clock: FixedClock  # shared by every context here: advance it to move the day on
    doctor: DoctorView  # Dr Meera Iyer
    doctor_ctx: Context
    other_doctor: DoctorView  # Dr Rahul Menon
    other_doctor_ctx: Context
    nurse_ctx: Context  # Lata Pillai, Nurse
    receptionist_ctx: Context  # Front Desk, Receptionist
    patient: PatientView  # Kavya Nair
    appointment: AppointmentView  # 10:00 with Dr Iyer, "cough and fever"
    entry: QueueEntryView  # token 1, waiting


def signed_in(ctx: Context, user_id: uuid.UUID) -> Context:
    """``ctx`` acting as the user ``user_id``, with the permissions their roles hold in the store."""
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.get(User, user_id)
        assert row is not None
        actor = load_actor(tx.session, row)
    return replace(ctx, actor=actor)


def clinical_day(system_ctx: Context, make_user) -> ClinicalDay:  # type: ignore[no-untyped-def]
    ctx, doctor = clinic_day(system_ctx, make_user)
    assert isinstance(ctx.clock, FixedClock)
    for fee_type, rupees, free in (("opd", "500", 0), ("follow_up", "300", FREE_DAYS), ("emergency", "800", 0)):
        set_fee(ctx, doctor.id, FeeInput(fee_type, Decimal(rupees), free, FEES_FROM))
    rahul_user = make_user("Doctor", email="rahul@sunrise.example.in", name="Rahul Menon")
    rahul = create_doctor(ctx, DoctorInput(rahul_user.id, "Dr Rahul Menon", "General Medicine", "MBBS",
                                           "KMC-51234", "Karnataka Medical Council"))  # fmt: skip
    set_weekly_schedule(ctx, rahul.id, [ScheduleInput(0, time(10, 0), time(13, 0), 15, 2, date(2026, 11, 1))])
    nurse = make_user("Nurse", email="lata@sunrise.example.in", name="Lata Pillai")
    desk = make_user("Receptionist", email="desk@sunrise.example.in", name="Front Desk")
    kavya = patient(ctx, "Kavya Nair", "9846012345", born=date(1985, 6, 1))
    booking = appt.book_appointment(
        ctx, BookingInput(kavya.id, doctor.id, MONDAY, time(10, 0), "new", "cough and fever")
    )
    entry = queue.check_in(ctx, booking.id)
    return ClinicalDay(
        system=ctx,
        clock=ctx.clock,
        doctor=doctor,
        doctor_ctx=signed_in(ctx, doctor.user_id),
        other_doctor=rahul,
        other_doctor_ctx=signed_in(ctx, rahul_user.id),
        nurse_ctx=signed_in(ctx, nurse.id),
        receptionist_ctx=signed_in(ctx, desk.id),
        patient=kavya,
        appointment=booking,
        entry=entry,
    )


def checked_in(
    day: ClinicalDay,
    name: str,
    phone: str,
    at: time = time(10, 15),
    kind: str = "new",
    *,
    doctor: DoctorView | None = None,
    born: date = date(1985, 6, 1),
    patient_id: uuid.UUID | None = None,
) -> tuple[uuid.UUID, AppointmentView, QueueEntryView]:
    """Book (a new patient, or ``patient_id``) with Dr Iyer (or ``doctor``) today at ``at`` and check in:
    (patient id, appointment, queue entry)."""
    who = patient_id or patient(day.system, name, phone, born=born).id
    booking = appt.book_appointment(day.system, BookingInput(who, (doctor or day.doctor).id, MONDAY, at, kind))
    return who, booking, queue.check_in(day.system, booking.id)


def past_visit(
    day: ClinicalDay,
    patient_id: uuid.UUID,
    on: date,
    kind: str = "new",
    *,
    doctor: DoctorView | None = None,
    at: time = time(10, 0),
    reason: str = "",
) -> uuid.UUID:
    """A completed appointment on an earlier day, written directly (as the reception flow leaves it); its id."""
    with day.system.transaction() as tx:
        stamp = datetime.combine(on, at, UTC)
        a = Appointment(
            code=next_code(tx, appointment_series(clinic_settings(tx.session)), on),
            patient_id=patient_id,
            doctor_id=(doctor or day.doctor).id,
            appointment_date=on,
            slot_start=at,
            slot_end=(stamp + timedelta(minutes=15)).time(),
            appointment_type=kind,
            status="completed",
            reason=reason,
            booked_at=stamp,
            checked_in_at=stamp,
            started_at=stamp,
            completed_at=stamp,
        )
        tx.session.add(a)
        tx.flush()
        tx.commit()
        return a.id
