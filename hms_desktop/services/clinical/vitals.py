"""Vital signs: what the nurse (or doctor) measures, in human units, stored as the integers of ``Vitals``.

Input units: blood pressure mmHg (both numbers, systolic above diastolic), pulse per minute, respiratory
rate per minute, temperature in Celsius or Fahrenheit (a Decimal or text with its unit, stored in tenths of
a degree Celsius, rounded half up), SpO2 percent, weight kg and height cm (Decimals or text, stored in grams
and millimetres). BMI = kg / m^2, in tenths, when weight and height are both given. Every reading is
optional, but a set needs at least one. Plausible ranges (the same as the store's CHECKs), each refused
with a message naming its field:

    systolic 50-300, diastolic 20-200 mmHg; pulse 20-300; respiratory rate 4-80; temperature 30-45 C
    (86-113 F); SpO2 50-100 %; weight 0.3-350 kg; height 20-250 cm; BMI 5-150 (else weight or height is
    mistyped).

A mistaken reading is corrected with ``correct_vitals`` (the readings replaced, the reason and the old values
in the audit trail); a set is never deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select

from db.models.clinical import Vitals
from db.models.patients import Patient
from db.models.scheduling import Appointment
from hms_desktop.audit.trail import record
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.validation import clean_text

MAX_HISTORY = 200
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class VitalsInput:
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    pulse_bpm: int | None = None
    respiratory_rate: int | None = None
    temperature: Decimal | str | None = None  # "98.6" with temperature_unit "F", or Decimal("37.2")
    temperature_unit: str = "C"  # "C" or "F"
    spo2_percent: int | None = None
    weight_kg: Decimal | str | None = None
    height_cm: Decimal | str | None = None
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class VitalsView:
    id: uuid.UUID
    patient_id: uuid.UUID
    appointment_id: uuid.UUID | None
    recorded_at: datetime
    recorded_by_id: uuid.UUID | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    pulse_bpm: int | None
    respiratory_rate: int | None
    temperature_c: Decimal | None  # Decimal("37.2")
    spo2_percent: int | None
    weight_kg: Decimal | None  # Decimal("70.500")
    height_cm: Decimal | None  # Decimal("175.5")
    bmi: Decimal | None  # Decimal("22.9")
    notes: str

    @property
    def blood_pressure(self) -> str:
        """ "120/80", or "" when not measured."""
        if self.systolic_mmhg is None or self.diastolic_mmhg is None:
            return ""
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg}"


def vitals_view(v: Vitals) -> VitalsView:
    def scaled(value: int | None, places: int) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-places)

    return VitalsView(
        id=v.id,
        patient_id=v.patient_id,
        appointment_id=v.appointment_id,
        recorded_at=v.recorded_at,
        recorded_by_id=v.created_by_id,
        systolic_mmhg=v.systolic_mmhg,
        diastolic_mmhg=v.diastolic_mmhg,
        pulse_bpm=v.pulse_bpm,
        respiratory_rate=v.respiratory_rate,
        temperature_c=scaled(v.temperature_tenths_c, 1),
        spo2_percent=v.spo2_percent,
        weight_kg=scaled(v.weight_grams, 3),
        height_cm=scaled(v.height_mm, 1),
        bmi=scaled(v.bmi_tenths, 1),
        notes=v.notes,
    )


def _whole(value: object, field: str, label: str, unit: str, lo: int, hi: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        raise ValidationError(field, f"{label} is a whole number ({unit}).")
    if not lo <= number <= hi:
        raise ValidationError(field, f"{label} of {number} {unit} is not plausible; it is from {lo} to {hi} {unit}.")
    return number


def _decimal(value: object, field: str, label: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(field, f"{label} is a number, for example 37.2.") from None
    if not number.is_finite():
        raise ValidationError(field, f"{label} is a number, for example 37.2.")
    return number


def _in_range(number: Decimal, field: str, label: str, unit: str, lo: str, hi: str) -> None:
    if not Decimal(lo) <= number <= Decimal(hi):
        raise ValidationError(field, f"{label} of {number} {unit} is not plausible; it is from {lo} to {hi} {unit}.")


def _int_round(number: Decimal) -> int:
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def clean_vitals(data: VitalsInput) -> dict[str, int | str | None]:
    """The ``Vitals`` columns for ``data``, or ``ValidationError`` naming the first bad field."""
    systolic = _whole(data.systolic_mmhg, "systolic_mmhg", "Systolic blood pressure", "mmHg", 50, 300)
    diastolic = _whole(data.diastolic_mmhg, "diastolic_mmhg", "Diastolic blood pressure", "mmHg", 20, 200)
    if systolic is not None and diastolic is None:
        raise ValidationError("diastolic_mmhg", "Enter both numbers of the blood pressure (for example 120/80).")
    if diastolic is not None and systolic is None:
        raise ValidationError("systolic_mmhg", "Enter both numbers of the blood pressure (for example 120/80).")
    if systolic is not None and diastolic is not None and systolic <= diastolic:
        raise ValidationError(
            "systolic_mmhg", f"The systolic pressure ({systolic}) must be higher than the diastolic ({diastolic})."
        )
    pulse = _whole(data.pulse_bpm, "pulse_bpm", "Pulse", "per minute", 20, 300)
    breaths = _whole(data.respiratory_rate, "respiratory_rate", "Respiratory rate", "per minute", 4, 80)
    spo2 = _whole(data.spo2_percent, "spo2_percent", "SpO2", "%", 50, 100)
    temperature = _decimal(data.temperature, "temperature", "Temperature")
    tenths_c: int | None = None
    if temperature is not None:
        unit = (data.temperature_unit or "").strip().upper().removeprefix("°")
        if unit not in ("C", "F"):
            raise ValidationError("temperature_unit", "Give the temperature in C (Celsius) or F (Fahrenheit).")
        if unit == "F":
            _in_range(temperature, "temperature", "Temperature", "F", "86", "113")
            temperature = (temperature - 32) * 5 / 9
        else:
            _in_range(temperature, "temperature", "Temperature", "C", "30", "45")
        tenths_c = _int_round(temperature * 10)
    weight = _decimal(data.weight_kg, "weight_kg", "Weight")
    grams = None
    if weight is not None:
        _in_range(weight, "weight_kg", "Weight", "kg", "0.3", "350")
        grams = _int_round(weight * 1000)
    height = _decimal(data.height_cm, "height_cm", "Height")
    mm = None
    if height is not None:
        _in_range(height, "height_cm", "Height", "cm", "20", "250")
        mm = _int_round(height * 10)
    bmi = None
    if grams is not None and mm is not None:
        bmi = _int_round(Decimal(grams) * 10000 / (Decimal(mm) * mm))  # kg / m^2 in tenths
        if not 50 <= bmi <= 1500:
            raise ValidationError(
                "weight_kg", f"A weight of {weight} kg at {height} cm gives a BMI of {Decimal(bmi) / 10}: "
                "please re-check the weight and the height."
            )  # fmt: skip
    values: dict[str, int | str | None] = {
        "systolic_mmhg": systolic,
        "diastolic_mmhg": diastolic,
        "pulse_bpm": pulse,
        "respiratory_rate": breaths,
        "temperature_tenths_c": tenths_c,
        "spo2_percent": spo2,
        "weight_grams": grams,
        "height_mm": mm,
        "bmi_tenths": bmi,
    }
    if all(v is None for v in values.values()):
        raise ValidationError("vitals", "Enter at least one reading.")
    values["notes"] = clean_text(data.notes, "notes", label="Notes", required=False, max_len=500)
    return values


def _patient(tx: Transaction, patient_id: uuid.UUID) -> Patient:
    p = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
    if p is None or p.deleted_at is not None:
        raise NotFound("That patient does not exist (the record may have been archived).")
    return p


@requires("clinical.vitals")
def record_vitals(
    ctx: Context, patient_id: uuid.UUID, data: VitalsInput, appointment_id: uuid.UUID | None = None
) -> VitalsView:
    """Record a set of vitals for the patient, at this visit (``appointment_id``) if given."""
    values = clean_vitals(data)
    with ctx.transaction() as tx:
        patient = _patient(tx, patient_id)
        if appointment_id is not None:
            appt = tx.session.get(Appointment, appointment_id) if isinstance(appointment_id, uuid.UUID) else None
            if appt is None or appt.deleted_at is not None or appt.patient_id != patient.id:
                raise ValidationError("appointment_id", f"That appointment is not {patient.full_name}'s.")
        row = Vitals(patient_id=patient.id, appointment_id=appointment_id, recorded_at=ctx.clock.now(), **values)
        tx.session.add(row)
        tx.flush()
        view = vitals_view(row)
        tx.commit()
        return view


@requires("clinical.vitals")
def correct_vitals(ctx: Context, vitals_id: uuid.UUID, data: VitalsInput, reason: str) -> VitalsView:
    """Replace a set's readings with ``data`` (all of them: start from the view). The old values and the
    reason go to the audit trail; when and for which visit it was measured stay."""
    values = clean_vitals(data)
    why = clean_text(reason, "reason", label="A reason for the correction", max_len=300)
    with ctx.transaction() as tx:
        row = tx.session.get(Vitals, vitals_id) if isinstance(vitals_id, uuid.UUID) else None
        if row is None or row.deleted_at is not None:
            raise NotFound("That set of vitals does not exist.")
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
        record(tx, "vitals_corrected", entity_type="vitals", entity_id=str(row.id), patient_id=row.patient_id,
               detail=why)  # fmt: skip
        tx.flush()
        view = vitals_view(row)
        tx.commit()
        return view


@requires("patients.view")
def latest_vitals(ctx: Context, patient_id: uuid.UUID, appointment_id: uuid.UUID | None = None) -> VitalsView | None:
    """The patient's last set (of this visit when ``appointment_id`` is given), or None."""
    with ctx.transaction(readonly=True) as tx:
        _patient(tx, patient_id)
        query = select(Vitals).where(Vitals.patient_id == patient_id, Vitals.deleted_at.is_(None))
        if appointment_id is not None:
            query = query.where(Vitals.appointment_id == appointment_id)
        row = tx.session.scalars(query.order_by(Vitals.recorded_at.desc(), Vitals.id.desc()).limit(1)).first()
        return vitals_view(row) if row is not None else None


@requires("patients.view")
def vitals_history(ctx: Context, patient_id: uuid.UUID, limit: int = 20) -> list[VitalsView]:
    """The patient's sets, newest first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_HISTORY:
        raise ValidationError("limit", f"Show from 1 to {MAX_HISTORY} sets of vitals.")
    with ctx.transaction(readonly=True) as tx:
        _patient(tx, patient_id)
        rows = tx.session.scalars(
            select(Vitals)
            .where(Vitals.patient_id == patient_id, Vitals.deleted_at.is_(None))
            .order_by(Vitals.recorded_at.desc(), Vitals.id.desc())
            .limit(limit)
        )
        return [vitals_view(v) for v in rows]
