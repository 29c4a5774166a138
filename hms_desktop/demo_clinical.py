"""The demo clinic's consultation room: the medicine and lab catalogues, a nurse, two lab technicians, a pharmacist
and an inventory manager, shared prescription templates, the vitals of the patients waiting today (so a doctor who
signs in sees them) and this morning's first prescription sent to the pharmacy (so the pharmacist has one)."""

from __future__ import annotations

import random
from decimal import Decimal

from hms_desktop.context import Context
from hms_desktop.services.admin.users import UserInput, create_user
from hms_desktop.services.clinical.lab_catalog import load_demo_lab_tests, search_lab_tests
from hms_desktop.services.clinical.lab_orders import order_lab_tests
from hms_desktop.services.clinical.medicine_search import load_demo_catalog, search_medicines
from hms_desktop.services.clinical.prescription_input import PrescriptionInput, PrescriptionItemInput
from hms_desktop.services.clinical.prescriptions import save_prescription, send_to_pharmacy
from hms_desktop.services.clinical.rx_templates import save_template
from hms_desktop.services.clinical.vitals import VitalsInput, latest_vitals, record_vitals
from hms_desktop.services.reception.queue import QueueView

STAFF = (
    ("nurse@demo.hms.in", "Lata Pillai", "Nurse"),
    ("lab@demo.hms.in", "Ravi Shankar", "Lab Technician"),
    ("lab2@demo.hms.in", "Sunita Rao", "Lab Technician"),
    ("pharmacy@demo.hms.in", "Farida Khan", "Pharmacist"),
    ("stock@demo.hms.in", "Imran Sheikh", "Inventory Manager"),
    ("optical@demo.hms.in", "Omkar Patil", "Optical Staff"),
)
STAFF_PASSWORD = "Tulsi-Leaf-2026"

# name, advice, lines: (brand, dose, frequency, days, food, instructions)
TEMPLATES = (
    (
        "Viral fever, adult",
        "Plenty of fluids, rest. Come back if the fever lasts beyond 3 days.",
        (
            ("Dolo 650", "1 tab", "1-1-1", 3, "after_food", "if fever above 100 F"),
            ("Okacet", "1 tab", "0-0-1", 5, "any", ""),
        ),
    ),
    (
        "Acid peptic disease",
        "Avoid spicy food and late dinners.",
        (("Pan 40", "1 tab", "1-0-0", 14, "before_food", "30 minutes before breakfast"),),
    ),
    (
        "Acute gastroenteritis",
        "ORS after every loose stool; light diet.",
        (
            ("Emeset 4", "1 tab", "SOS", 3, "before_food", "for vomiting, at most 3 a day"),
            ("Dolo 650", "1 tab", "SOS", 3, "after_food", "for fever"),
        ),
    ),
)


def seed_clinical(ctx: Context) -> None:
    load_demo_catalog(ctx)
    load_demo_lab_tests(ctx)
    for email, name, role in STAFF:
        create_user(ctx, UserInput(email, name, STAFF_PASSWORD, [role], must_change_password=False))
    for name, advice, lines in TEMPLATES:
        items = []
        for brand, dose, freq, days, food, note in lines:
            hit = next(h for h in search_medicines(ctx, brand) if h.brand == brand)
            items.append(
                PrescriptionItemInput(
                    medicine_id=hit.id,
                    medicine_name=hit.brand,
                    generic_name=hit.generic_name,
                    strength=hit.strength,
                    dosage=dose,
                    frequency=freq,
                    duration_days=days,
                    food_timing=food,
                    instructions=note,
                    quantity=10 if freq == "SOS" else 0,
                )  # fmt: skip
            )
        save_template(ctx, name, items=items, shared=True, advice=advice)


def vitals_for_queue(ctx: Context, view: QueueView, rng: random.Random) -> None:
    """The nurse's readings for each patient waiting (once per visit)."""
    for e in view.waiting:
        if latest_vitals(ctx, e.patient_id, e.appointment_id) is not None:
            continue
        record_vitals(
            ctx,
            e.patient_id,
            VitalsInput(
                systolic_mmhg=rng.randrange(108, 150),
                diastolic_mmhg=rng.randrange(70, 95),
                pulse_bpm=rng.randrange(64, 104),
                temperature=Decimal(rng.choice(["98.4", "98.6", "99.1", "100.8"])),
                temperature_unit="F",
                spo2_percent=rng.randrange(95, 100),
                weight_kg=Decimal(rng.randrange(450, 900)) / 10,
                height_cm=Decimal(rng.randrange(150, 182)),
            ),  # fmt: skip
            appointment_id=e.appointment_id,
        )


def lab_orders_for_queue(ctx: Context, view: QueueView) -> None:
    """Two of the morning's patients sent to the lab (a CBC, an urgent fasting sugar): the Lab dock's worklist."""
    for entry, (code, priority) in zip(view.waiting[:2], (("CBC", "routine"), ("FBS", "urgent")), strict=False):
        test = next(t for t in search_lab_tests(ctx, code) if t.code == code)
        order_lab_tests(ctx, entry.patient_id, [test.id], appointment_id=entry.appointment_id, priority=priority)


def prescription_for_pharmacy(ctx: Context, doctor_ctx: Context, view: QueueView) -> None:
    """The patient the doctor is seeing has been prescribed (fever, with an H1 antibiotic) and sent to the pharmacy."""
    entry = view.serving
    if entry is None:
        return
    lines = []
    for brand, dose, freq, days in (("Dolo 650", "1 tab", "1-1-1", 3), ("Taxim-O 200", "1 tab", "1-0-1", 5)):
        hit = next(h for h in search_medicines(ctx, brand) if h.brand == brand)
        lines.append(PrescriptionItemInput(medicine_id=hit.id, medicine_name=hit.brand, generic_name=hit.generic_name,
                                           strength=hit.strength, dosage=dose, frequency=freq, duration_days=days,
                                           food_timing="after_food"))  # fmt: skip
    data = PrescriptionInput(patient_id=entry.patient_id, items=lines, appointment_id=entry.appointment_id,
                             diagnosis="Acute pharyngitis", advice="Warm saline gargles.")  # fmt: skip
    rx = save_prescription(doctor_ctx, data)
    send_to_pharmacy(doctor_ctx, rx.id)
