"""A ready demo clinic in its own data folder: doctors with schedules, patients with Indian names, today's
appointments and a live queue, the medicine catalogue with stock (one batch of each medicine near expiry), so a
new user sees HMS Desktop working within a minute.

All data is synthetic. The demo store uses a fixed passphrase (it protects nothing real).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, select

from db.models.scheduling import Appointment
from hms_desktop.clinic_setup import create_clinic
from hms_desktop.clock import Clock
from hms_desktop.context import Actor, Context
from hms_desktop.demo_clinical import lab_orders_for_queue, prescription_for_pharmacy, seed_clinical, vitals_for_queue
from hms_desktop.optical_demo import optical_for_today, seed_optical
from hms_desktop.runtime import context_for
from hms_desktop.services.admin.clinic_time import clinic_today
from hms_desktop.services.admin.setup import AdminInput, HospitalInput
from hms_desktop.services.admin.users import UserInput, create_user
from hms_desktop.services.pharmacy.demo_stock import load_demo_stock
from hms_desktop.services.reception.appointments import BookingInput, book_appointment, day_slots
from hms_desktop.services.reception.doctor_fees import FeeInput, set_fee
from hms_desktop.services.reception.doctor_schedules import ScheduleInput, set_weekly_schedule
from hms_desktop.services.reception.doctors import DoctorInput, create_doctor, list_doctors
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.services.reception.queue import call_next, check_in, queue_for
from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import Store, open_store

PASSPHRASE = "hms demo clinic - not a secret"
ADMIN = ("admin@demo.hms.in", "Lotus-Pond-2026!")
RECEPTION = ("reception@demo.hms.in", "Banyan-Tree-2026")
DOCTOR_PASSWORD = "Neem-Leaf-2026"  # every demo doctor's
HINT = (
    "Demo clinic (synthetic data). Sign in as the receptionist: reception@demo.hms.in / Banyan-Tree-2026, "
    "a doctor: meera@demo.hms.in / Neem-Leaf-2026, the lab: lab@demo.hms.in / Tulsi-Leaf-2026, "
    "or the administrator: admin@demo.hms.in / Lotus-Pond-2026!"
)
FIRST_F = (
    "Aditi Ananya Asha Bhavna Deepa Divya Gita Isha Jaya Kavya Lakshmi Meena Neha Pooja Priya Rekha Sunita Zoya".split()
)
FIRST_M = (
    "Aarav Akash Amit Anil Arjun Chetan Deepak Farhan Gopal Harish Karan Mahesh Mohan Rahul Ravi Sanjay Vikram".split()
)
LAST = (
    "Sharma Verma Iyer Nair Rao Reddy Das Khan Patel Shah Menon Pillai Kulkarni Joshi Gowda Hegde Bhat Qureshi".split()
)


@dataclass(frozen=True)
class DemoDoctor:
    email: str
    name: str
    specialization: str
    registration: str
    days: tuple[int, ...]
    start: time
    end: time


DOCTORS = (
    DemoDoctor(
        "meera@demo.hms.in",
        "Dr Meera Iyer",
        "General Medicine",
        "KMC-48211",
        (0, 1, 2, 3, 4, 5, 6),
        time(7, 0),
        time(22, 0),
    ),
    DemoDoctor(
        "arjun@demo.hms.in", "Dr Arjun Rao", "Paediatrics", "KMC-51730", (0, 1, 2, 3, 4, 5), time(9, 0), time(13, 0)
    ),
    DemoDoctor("farah@demo.hms.in", "Dr Farah Khan", "Ophthalmology", "KMC-39954", (0, 2, 4), time(16, 0), time(20, 0)),
)


def passphrase_source(_prompt: str) -> str:
    return PASSPHRASE


def open_demo(paths: StorePaths, *, clock: Clock | None = None) -> Store:
    """Open the demo store, creating it first if needed, with today's appointments in place (``clock``: whose
    today; the machine's by default)."""
    if not paths.exists():
        _create(paths)
    store = open_store(paths, passphrase_source=passphrase_source)
    ensure_today(context_for(store, Actor.system("demo"), clock=clock))
    return store


def _create(paths: StorePaths) -> None:
    hospital = HospitalInput(
        name="Sunrise Demo Clinic",
        address_line1="12 MG Road",
        city="Bengaluru",
        state_code="29",
        pincode="560001",
        phone="080 4123 4567",
    )
    result, _ = create_clinic(
        paths,
        hospital,
        AdminInput(ADMIN[0], "Demo Administrator", ADMIN[1]),
        key_mode="passphrase",
        passphrase_source=passphrase_source,
        workstation_name="Front desk",
    )
    ctx = context_for(result.store, Actor.system("demo set-up"))
    create_user(ctx, UserInput(RECEPTION[0], "Rekha Menon", RECEPTION[1], ["Receptionist"], must_change_password=False))
    today = clinic_today(ctx)
    for d in DOCTORS:
        user = create_user(
            ctx,
            UserInput(d.email, d.name.removeprefix("Dr "), DOCTOR_PASSWORD, ["Doctor"], must_change_password=False),
        )
        doc = create_doctor(
            ctx, DoctorInput(user.id, d.name, d.specialization, "MBBS, MD", d.registration, "Karnataka Medical Council")
        )
        sessions = [ScheduleInput(day, d.start, d.end, 10, 2, today - timedelta(days=30)) for day in d.days]
        set_weekly_schedule(ctx, doc.id, sessions)
        set_fee(ctx, doc.id, FeeInput("opd", "500", 0, today - timedelta(days=30)))
        set_fee(ctx, doc.id, FeeInput("follow_up", "300", 7, today - timedelta(days=30)))
    seed_clinical(ctx)
    load_demo_stock(ctx)  # two batches of each demo medicine: one near expiry, one later
    seed_optical(ctx)  # frames, sunglasses, lenses, contact lenses, solutions; stock of the stocked ones
    rng = random.Random(2026)
    for i in range(150):
        female = i % 2 == 0
        first = rng.choice(FIRST_F if female else FIRST_M)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 80))
        register_patient(
            ctx,
            PatientInput(
                f"{first} {rng.choice(LAST)}",
                "F" if female else "M",
                born,
                phone=f"9{rng.randrange(10**9):09d}",
                city="Bengaluru",
                state_code="29",
                blood_group=rng.choice(["A+", "B+", "O+", "AB+", "O-", "unknown"]),
            ),
            allow_duplicates=True,
        )
    result.store.close()


def ensure_today(ctx: Context) -> None:
    """Book and queue a morning's patients for today, once a day (the demo always has a live queue)."""
    today = clinic_today(ctx)
    with ctx.transaction(readonly=True) as tx:
        if tx.session.scalar(select(func.count()).where(Appointment.appointment_date == today)):
            return
        from db.models.patients import Patient

        patients = list(tx.session.scalars(select(Patient.id).order_by(Patient.code).limit(40)))
    rng = random.Random(today.toordinal())
    doctors = list_doctors(ctx)
    for doctor in doctors:
        free = [s for s in day_slots(ctx, doctor.id, today).slots if s.state == "free"]
        for slot, pid in zip(free[:8], rng.sample(patients, k=min(8, len(patients))), strict=False):
            a = book_appointment(ctx, BookingInput(pid, doctor.id, today, slot.start))
            if slot is free[0] or rng.random() < 0.6:
                check_in(ctx, a.id)
        vitals_for_queue(ctx, queue_for(ctx, doctor.id), rng)  # the nurse's, before the doctor calls
        call_next(ctx, doctor.id)
    queues = [queue_for(ctx, d.id) for d in doctors]
    if queues:
        lab_orders_for_queue(ctx, max(queues, key=lambda q: len(q.waiting)))
        prescription_for_pharmacy(ctx, _as_user(ctx, doctors[0].user_id), queues[0])
        optician = _optician(ctx)
        if optician is not None:
            optical_for_today(ctx, _as_user(ctx, doctors[0].user_id), patients[8:12], optician)


def _optician(ctx: Context) -> Context | None:
    """The demo's optician (older demo stores have none)."""
    from db.models.identity import User

    with ctx.transaction(readonly=True) as tx:
        found = tx.session.scalar(select(User.id).where(User.email == "optical@demo.hms.in"))
    return _as_user(ctx, found) if found is not None else None


def _as_user(ctx: Context, user_id: object) -> Context:
    """``ctx`` acting as a demo user, with the permissions of their roles (the prescriber must be the doctor)."""
    from dataclasses import replace

    from db.models.identity import User
    from hms_desktop.security.actors import load_actor

    with ctx.transaction(readonly=True) as tx:
        user = tx.session.get(User, user_id)
        assert user is not None
        actor = load_actor(tx.session, user)
    return replace(ctx, actor=actor)
