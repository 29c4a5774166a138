"""A clinic day for reception tests: Dr Meera Iyer sees patients on Mondays 10:00-13:00 in 15-minute slots,
two per slot. The clock stands at Monday 30 November 2026, 10:00 in Bengaluru."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.services.reception.doctor_schedules import ScheduleInput, set_weekly_schedule
from hms_desktop.services.reception.doctors import DoctorInput, DoctorView, create_doctor
from hms_desktop.services.reception.patients import PatientInput, PatientView, register_patient

MONDAY = date(2026, 11, 30)
TEN_AM = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)


def clinic_day(system_ctx: Context, make_user) -> tuple[Context, DoctorView]:  # type: ignore[no-untyped-def]
    ctx = replace(system_ctx, clock=FixedClock(TEN_AM))
    user = make_user("Doctor", email="meera@sunrise.example.in", name="Meera Iyer")
    doctor = create_doctor(ctx, DoctorInput(user.id, "Dr Meera Iyer", "General Medicine", "MBBS, MD", "KMC-48211",
                                            "Karnataka Medical Council"))  # fmt: skip
    set_weekly_schedule(ctx, doctor.id, [ScheduleInput(0, time(10, 0), time(13, 0), 15, 2, date(2026, 11, 1))])
    return ctx, doctor


def patient(ctx: Context, name: str, phone: str, born: date = date(1985, 6, 1), **kw: object) -> PatientView:
    return register_patient(ctx, PatientInput(name, "F", born, phone=phone, **kw), allow_duplicates=True)  # type: ignore[arg-type]
