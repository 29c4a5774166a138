"""A lab day for the lab tests: the reception clinic day (Dr Meera Iyer, Monday 30 November 2026, 10:00 in
Bengaluru) with the demo lab catalog loaded and real staff accounts signed in as themselves: the doctor,
two lab technicians and a receptionist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, time

from sqlalchemy import func, select

from db.models.clinical import Charge
from db.models.identity import User
from db.models.lab import LabOrder
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.security.actors import load_actor
from hms_desktop.services.admin.users import UserView
from hms_desktop.services.clinical.lab_catalog import list_lab_tests, load_demo_lab_tests
from hms_desktop.services.clinical.lab_orders import LabOrderView, collect_sample, order_lab_tests
from hms_desktop.services.clinical.lab_results import ResultValueInput, enter_result
from hms_desktop.services.reception import appointments as appt
from hms_desktop.services.reception.appointments import AppointmentView, BookingInput
from hms_desktop.services.reception.doctors import DoctorView
from hms_desktop.services.reception.patients import PatientInput, PatientView, register_patient
from tests.reception_fixtures import MONDAY, clinic_day


@dataclass(frozen=True)
class LabDay:
    system: Context  # everything allowed, at the day's clock
    doctor: DoctorView
    doctor_ctx: Context  # Dr Meera Iyer
    tech_ctx: Context  # Ravi Kumar, Lab Technician
    tech2_ctx: Context  # Sunita Rao, Lab Technician
    reception_ctx: Context
    tests: dict[str, uuid.UUID]  # demo catalog: code -> id
    clock: FixedClock


def as_user(ctx: Context, user: UserView) -> Context:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.get(User, user.id)
        assert row is not None
        actor = load_actor(tx.session, row)
    return replace(ctx, actor=actor)


def lab_day(system_ctx: Context, make_user) -> LabDay:  # type: ignore[no-untyped-def]
    ctx, doctor = clinic_day(system_ctx, make_user)
    assert isinstance(ctx.clock, FixedClock)
    load_demo_lab_tests(ctx)
    with ctx.transaction(readonly=True) as tx:
        meera = tx.session.scalars(select(User).where(User.email == "meera@sunrise.example.in")).one()
        meera_actor = load_actor(tx.session, meera)
    tech = make_user("Lab Technician", email="ravi@sunrise.example.in", name="Ravi Kumar")
    tech2 = make_user("Lab Technician", email="sunita@sunrise.example.in", name="Sunita Rao")
    desk = make_user("Receptionist", email="desk@sunrise.example.in", name="Front Desk")
    return LabDay(
        system=ctx,
        doctor=doctor,
        doctor_ctx=replace(ctx, actor=meera_actor),
        tech_ctx=as_user(ctx, tech),
        tech2_ctx=as_user(ctx, tech2),
        reception_ctx=as_user(ctx, desk),
        tests={t.code: t.id for t in list_lab_tests(ctx)},
        clock=ctx.clock,
    )


def person(ctx: Context, name: str, phone: str, gender: str, born: date) -> PatientView:
    return register_patient(ctx, PatientInput(name, gender, born, phone=phone), allow_duplicates=True)


def visit(day: LabDay, p: PatientView, at: time = time(10, 0)) -> AppointmentView:
    return appt.book_appointment(day.system, BookingInput(p.id, day.doctor.id, MONDAY, at))


def collected(day: LabDay, p: PatientView, code: str, **kw: object) -> LabOrderView:
    """An order of test ``code`` by the doctor, its sample collected by Ravi."""
    order = order_lab_tests(day.doctor_ctx, p.id, [day.tests[code]], **kw)[0]  # type: ignore[arg-type]
    return collect_sample(day.tech_ctx, order.id)


def hb_only(value: str) -> list[ResultValueInput]:
    """A CBC result: ``value`` for haemoglobin, everything else within the adult ranges."""
    rest = {"Total WBC count": "7000", "Platelet count": "2.5", "RBC count": "4.5", "PCV (haematocrit)": "42",
            "Neutrophils": "60", "Lymphocytes": "30", "Eosinophils": "3", "Monocytes": "5"}  # fmt: skip
    return [ResultValueInput("Haemoglobin", value, "g/dL"), *(ResultValueInput(k, v) for k, v in rest.items())]


def entered(day: LabDay, p: PatientView, hb: str = "14.2", summary: str = "") -> LabOrderView:
    order = collected(day, p, "CBC")
    return enter_result(day.tech_ctx, order.id, hb_only(hb), summary)


def counts(ctx: Context) -> tuple[int, int]:
    """(lab orders, charges) in the store."""
    with ctx.transaction(readonly=True) as tx:
        orders = tx.session.scalar(select(func.count()).select_from(LabOrder))
        charges = tx.session.scalar(select(func.count()).select_from(Charge))
        return int(orders or 0), int(charges or 0)
