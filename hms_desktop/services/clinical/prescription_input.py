"""What the doctor's screen sends to save a prescription, and the rules it must pass before anything is written.

Header: the patient (registered, not archived); optionally the appointment and/or consultation (the patient's,
with this doctor); diagnosis, chief complaint, notes, advice (free text, bounded); a follow-up date that is not
in the past in the clinic's zone, and at most a year ahead.

Items: at least one; each needs a medicine (picked from the catalogue by ``medicine_id`` - active - or typed as
free text), a dose (``dosage``: "1 tab"), a frequency ``dosing.parse_frequency`` understands (stored in its
normal form: "bd" -> "BD"), a duration of 1-365 days, a route and food timing from the model's lists.
``quantity`` 0 is worked out with ``dosing.quantity`` when the dose counts units (tablets, capsules, sachets);
an SOS (as needed) line needs the doctor's quantity. A catalogue medicine fills in its generic name and
strength when the doctor left them empty. Errors name the field as ``items[<index>].<field>`` (index from 0).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from db.models.clinical import Consultation
from db.models.patients import Patient
from db.models.pharmacy import Medicine
from db.models.prescriptions import FOOD_TIMINGS, MEDICINE_ROUTES
from db.models.scheduling import Appointment, Doctor
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Transaction
from hms_desktop.errors import ValidationError
from hms_desktop.services.clinical import dosing
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

__all__ = [  # the model's lists are re-exported for the screens (ui never imports db)
    "FOOD_TIMINGS",
    "MEDICINE_ROUTES",
    "CleanInput",
    "CleanItem",
    "PrescriptionInput",
    "PrescriptionItemInput",
    "clean_header",
    "clean_item",
    "clean_items",
]

MAX_ITEMS = 30
MAX_QUANTITY = 10_000
MAX_FOLLOW_UP_DAYS = 366


@dataclass(frozen=True, kw_only=True)
class PrescriptionItemInput:
    """One medicine line as the screen edits it (also what applying a template gives back)."""

    medicine_name: str = ""  # required when medicine_id is empty; defaults to the catalogue brand
    medicine_id: uuid.UUID | None = None
    generic_name: str = ""
    strength: str = ""
    dosage: str = ""  # the dose: "1 tab", "½ tab", "5 ml"
    frequency: str = ""  # "1-0-1", "BD", "SOS", ...
    duration_days: int | None = None
    route: str = ""  # "" (not said) or one of MEDICINE_ROUTES
    food_timing: str = "any"  # one of FOOD_TIMINGS
    instructions: str = ""
    quantity: int = 0  # 0: worked out from dose x frequency x days where a rule allows
    allergy_override_reason: str = ""  # needed when the medicine matches one of the patient's allergies


@dataclass(frozen=True, kw_only=True)
class PrescriptionInput:
    patient_id: uuid.UUID
    items: Sequence[PrescriptionItemInput] = ()
    appointment_id: uuid.UUID | None = None
    consultation_id: uuid.UUID | None = None
    diagnosis: str = ""
    chief_complaint: str = ""
    notes: str = ""
    advice: str = ""
    follow_up_date: date | None = None
    draft: bool = False  # saved as a draft (not yet final): it cannot be printed or sent until saved final
    # A random key the screen makes once per prescription it opens: a repeated save with the same key (a
    # double-click, a retry) returns the prescription that the first save made.
    request_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class CleanItem:
    """An item that passed every rule, with what the catalogue adds (form, Schedule H)."""

    medicine_id: uuid.UUID | None
    medicine_name: str
    generic_name: str
    strength: str
    form: str
    is_schedule_h: bool
    dosage: str
    frequency: str
    duration_days: int
    route: str | None
    food_timing: str
    instructions: str
    quantity: int
    allergy_override_reason: str = ""

    def content(self) -> dict[str, object]:
        """The fields that make two lines the same prescription line (used to compare versions)."""
        return {
            "medicine_id": str(self.medicine_id) if self.medicine_id else None,
            "medicine_name": self.medicine_name,
            "generic_name": self.generic_name,
            "strength": self.strength,
            "dosage": self.dosage,
            "frequency": self.frequency,
            "duration_days": self.duration_days,
            "route": self.route,
            "food_timing": self.food_timing,
            "instructions": self.instructions,
            "quantity": self.quantity,
            "allergy_override_reason": self.allergy_override_reason or None,
        }


@dataclass(frozen=True, kw_only=True)
class CleanInput:
    patient: Patient
    appointment_id: uuid.UUID | None
    consultation_id: uuid.UUID | None
    diagnosis: str
    chief_complaint: str
    notes: str
    advice: str
    follow_up_date: date | None
    items: list[CleanItem] = field(default_factory=list)

    def header(self) -> dict[str, object]:
        return {
            "diagnosis": self.diagnosis,
            "chief_complaint": self.chief_complaint,
            "notes": self.notes,
            "advice": self.advice,
            "follow_up_date": self.follow_up_date.isoformat() if self.follow_up_date else None,
        }


def _free(value: str, field_name: str, label: str, max_len: int) -> str:
    """Free text kept as typed (line breaks too), trimmed, bounded."""
    text = (value or "").strip()
    if len(text) > max_len:
        raise ValidationError(field_name, f"{label} can have at most {max_len} characters.")
    return text


def clean_header(tx: Transaction, data: PrescriptionInput, doctor: Doctor) -> CleanInput:
    patient = tx.session.get(Patient, data.patient_id)
    if patient is None or patient.deleted_at is not None:
        raise ValidationError("patient_id", "Choose a registered patient.")
    appointment_id, consultation_id = data.appointment_id, data.consultation_id
    if consultation_id is not None:
        c = tx.session.get(Consultation, consultation_id)
        if c is None or c.deleted_at is not None or c.patient_id != patient.id:
            raise ValidationError("consultation_id", f"That consultation is not {patient.full_name}'s.")
        if c.doctor_id != doctor.id:
            raise ValidationError("consultation_id", "That consultation is another doctor's.")
        if appointment_id is not None and appointment_id != c.appointment_id:
            raise ValidationError("appointment_id", "The consultation belongs to another appointment.")
        appointment_id = c.appointment_id
    if appointment_id is not None:
        a = tx.session.get(Appointment, appointment_id)
        if a is None or a.deleted_at is not None or a.patient_id != patient.id:
            raise ValidationError("appointment_id", f"That appointment is not {patient.full_name}'s.")
        if a.doctor_id != doctor.id:
            raise ValidationError("appointment_id", "That appointment is with another doctor.")
    if data.follow_up_date is not None:
        today = local_today(clinic_settings(tx.session), tx.ctx.clock)
        if not isinstance(data.follow_up_date, date) or isinstance(data.follow_up_date, datetime):
            raise ValidationError("follow_up_date", "Enter the follow-up as a date.")
        if data.follow_up_date < today:
            raise ValidationError("follow_up_date", f"The follow-up date is in the past (today is {today:%d %b %Y}).")
        if data.follow_up_date > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
            raise ValidationError("follow_up_date", "A follow-up can be at most a year ahead.")
    return CleanInput(
        patient=patient,
        appointment_id=appointment_id,
        consultation_id=consultation_id,
        diagnosis=_free(data.diagnosis, "diagnosis", "Diagnosis", 500),
        chief_complaint=_free(data.chief_complaint, "chief_complaint", "Chief complaint", 1000),
        notes=_free(data.notes, "notes", "Notes", 5000),
        advice=_free(data.advice, "advice", "Advice", 5000),
        follow_up_date=data.follow_up_date,
    )


def clean_item(tx: Transaction, i: int, item: PrescriptionItemInput) -> CleanItem:
    f = f"items[{i}]"
    medicine = None
    if item.medicine_id is not None:
        medicine = tx.session.get(Medicine, item.medicine_id)
        if medicine is None or medicine.deleted_at is not None or not medicine.is_active:
            raise ValidationError(f"{f}.medicine_id", f"Line {i + 1}: that medicine is not in the active catalogue.")
    name = clean_text(item.medicine_name or (medicine.name if medicine else ""), f"{f}.medicine_name",
                      label=f"Line {i + 1}: the medicine's name", max_len=200)  # fmt: skip
    what = f"Line {i + 1} ({name})"
    generic = clean_text(item.generic_name or (medicine.generic_name if medicine else ""), f"{f}.generic_name",
                         label=f"{what}: the generic name", required=False, max_len=200)  # fmt: skip
    strength = clean_text(item.strength or (medicine.strength if medicine else ""), f"{f}.strength",
                          label=f"{what}: the strength", required=False, max_len=64)  # fmt: skip
    dosage = clean_text(item.dosage, f"{f}.dosage", label=f"{what}: the dose (for example 1 tab)", max_len=100)
    try:
        freq = dosing.parse_frequency(item.frequency, f"{f}.frequency")
        days = dosing.check_duration(item.duration_days, f"{f}.duration_days")
    except ValidationError as exc:
        raise ValidationError(exc.field, f"{what}: {exc.message}") from None
    route = (item.route or "").strip().lower() or None
    if route is not None and route not in MEDICINE_ROUTES:
        raise ValidationError(f"{f}.route", f"{what}: {item.route} is not a route ({', '.join(MEDICINE_ROUTES)}).")
    timing = (item.food_timing or "any").strip().lower()
    if timing not in FOOD_TIMINGS:
        raise ValidationError(
            f"{f}.food_timing", f"{what}: {item.food_timing} is not one of {', '.join(FOOD_TIMINGS)}."
        )
    instructions = _free(item.instructions, f"{f}.instructions", f"{what}: the instructions", 500)
    qty = item.quantity
    if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QUANTITY:
        raise ValidationError(f"{f}.quantity", f"{what}: the quantity is a whole number from 0 to {MAX_QUANTITY}.")
    if qty == 0:
        if freq.as_needed:
            raise ValidationError(
                f"{f}.quantity", f"{what}: taken when needed (SOS), so give the quantity to dispense."
            )
        qty = dosing.quantity(freq, dosing.units_per_dose(dosage), days) or 0
    return CleanItem(
        medicine_id=medicine.id if medicine else None,
        medicine_name=name,
        generic_name=generic,
        strength=strength,
        form=medicine.form if medicine else "",
        is_schedule_h=bool(medicine.is_schedule_h) if medicine else False,
        dosage=dosage,
        frequency=freq.text,
        duration_days=days,
        route=route,
        food_timing=timing,
        instructions=instructions,
        quantity=qty,
        allergy_override_reason=_free(
            item.allergy_override_reason, f"{f}.allergy_override_reason", f"{what}: the override reason", 300
        ),  # fmt: skip
    )


def clean_items(tx: Transaction, items: Sequence[PrescriptionItemInput]) -> list[CleanItem]:
    if not items:
        raise ValidationError("items", "Add at least one medicine.")
    if len(items) > MAX_ITEMS:
        raise ValidationError("items", f"A prescription can have at most {MAX_ITEMS} medicines.")
    wanted = {i.medicine_id for i in items if isinstance(i.medicine_id, uuid.UUID)}
    # One query; held here so clean_item's session.get finds each in the (weak) identity map.
    held = list(tx.session.scalars(select(Medicine).where(Medicine.id.in_(wanted)))) if wanted else []
    cleaned = [clean_item(tx, i, item) for i, item in enumerate(items)]
    del held
    return cleaned
