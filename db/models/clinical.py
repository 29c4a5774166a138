"""The consultation room (spec Phase 2, the doctor's part): consultations, coded diagnoses, vitals, allergies,
and the unbilled charges every module leaves for billing.

None of these is one of the spec's 62 tables; each is what real use needs around them:
- ``consultations``: one per appointment the doctor opens (started, completed, findings, follow-up);
- ``consultation_diagnoses``: ICD-10 (WHO) coded diagnoses with free text, primary first;
- ``vitals``: what the nurse measures at check-in, in integer units (tenths of a degree, grams, mm);
- ``patient_allergies``: to a medicine's generic name, a drug class, food or other, with reaction and severity;
- ``charges``: one billable line left by a consultation, a lab order, a dispensing, an optical order or a repair,
  which the billing module turns into an invoice line. Unique per source line, so a retry never charges twice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Paise, TrackedMixin, non_negative, one_of, partial_unique

CONSULTATION_STATUSES = ("in_progress", "completed", "cancelled")
ALLERGEN_KINDS = ("medicine", "drug_class", "food", "other")
ALLERGY_SEVERITIES = ("mild", "moderate", "severe", "unknown")
CHARGE_SOURCES = ("consultation", "lab_order", "dispensing", "optical_order", "repair", "procedure", "other")
CHARGE_ITEM_TYPES = ("consultation", "medicine", "lab", "optical", "procedure", "other")  # = invoice item types
CHARGE_STATUSES = ("unbilled", "billed", "waived", "cancelled")


class Consultation(TrackedMixin, Base):
    """A doctor's consultation of one appointment: opened from the queue, completed when the visit ends.

    ``findings`` are the examination notes; ``follow_up_date`` is the doctor's; the prescription(s) and lab
    orders of the visit point at the appointment. At most one live consultation per appointment.
    """

    __tablename__ = "consultations"

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("doctors.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    chief_complaint: Mapped[str] = mapped_column(String(1000), default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    follow_up_date: Mapped[date | None]
    fee_waived_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        one_of("status", CONSULTATION_STATUSES),
        CheckConstraint("completed_at IS NULL OR completed_at >= started_at", name="completed_after_started"),
        CheckConstraint("status <> 'completed' OR completed_at IS NOT NULL", name="completed_has_time"),
        partial_unique(
            "uq_consultations_appointment_live", "appointment_id", where="deleted_at IS NULL AND status <> 'cancelled'"
        ),
        Index("ix_consultations_patient_id_started_at", "patient_id", "started_at"),
    )


class ConsultationDiagnosis(TrackedMixin, Base):
    """One diagnosis of a consultation: an ICD-10 code (WHO) and its title, or free text only.

    ``description`` is the code's title as the doctor chose it, or what they typed; ``line_no`` 1 is the
    primary diagnosis. ``patient_id`` repeats the consultation's so a patient's history reads one index.
    """

    __tablename__ = "consultation_diagnoses"

    consultation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consultations.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    icd10_code: Mapped[str | None] = mapped_column(String(8), index=True)
    description: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(String(500), default="")
    line_no: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("length(description) > 0", name="description_not_empty"),
        CheckConstraint("line_no >= 1", name="line_no_positive"),
        partial_unique("uq_consultation_diagnoses_line_live", "consultation_id", "line_no", where="deleted_at IS NULL"),
    )


class Vitals(TrackedMixin, Base):
    """One set of vital signs. Integer units: mmHg, beats and breaths per minute, tenths of a degree Celsius
    (37.2 C = 372), SpO2 percent, grams, millimetres; ``bmi_tenths`` is computed from weight and height.
    Each reading may be empty (not measured); the CHECKs hold the plausible ranges the service also checks."""

    __tablename__ = "vitals"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    recorded_at: Mapped[datetime]
    systolic_mmhg: Mapped[int | None] = mapped_column(Integer)
    diastolic_mmhg: Mapped[int | None] = mapped_column(Integer)
    pulse_bpm: Mapped[int | None] = mapped_column(Integer)
    respiratory_rate: Mapped[int | None] = mapped_column(Integer)
    temperature_tenths_c: Mapped[int | None] = mapped_column(Integer)
    spo2_percent: Mapped[int | None] = mapped_column(Integer)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    height_mm: Mapped[int | None] = mapped_column(Integer)
    bmi_tenths: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (
        CheckConstraint("systolic_mmhg BETWEEN 50 AND 300", name="systolic_in_range"),
        CheckConstraint("diastolic_mmhg BETWEEN 20 AND 200", name="diastolic_in_range"),
        CheckConstraint(
            "systolic_mmhg IS NULL OR diastolic_mmhg IS NULL OR systolic_mmhg > diastolic_mmhg",
            name="systolic_above_diastolic",
        ),
        CheckConstraint("pulse_bpm BETWEEN 20 AND 300", name="pulse_in_range"),
        CheckConstraint("respiratory_rate BETWEEN 4 AND 80", name="respiratory_rate_in_range"),
        CheckConstraint("temperature_tenths_c BETWEEN 300 AND 450", name="temperature_in_range"),
        CheckConstraint("spo2_percent BETWEEN 50 AND 100", name="spo2_in_range"),
        CheckConstraint("weight_grams BETWEEN 300 AND 350000", name="weight_in_range"),
        CheckConstraint("height_mm BETWEEN 200 AND 2500", name="height_in_range"),
        Index("ix_vitals_patient_id_recorded_at", "patient_id", "recorded_at"),
    )


class PatientAllergy(TrackedMixin, Base):
    """A known allergy. ``allergen`` is a medicine's generic name (``kind = medicine``), a drug class such as
    "penicillins" or "sulfonamides" (``drug_class``), a food or anything else; a prescription of a matching
    medicine warns and needs an override reason. ``is_active`` false: refuted or resolved (kept for history)."""

    __tablename__ = "patient_allergies"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    allergen: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="medicine")
    reaction: Mapped[str] = mapped_column(String(300), default="")
    severity: Mapped[str] = mapped_column(String(16), default="unknown")
    noted_on: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        one_of("kind", ALLERGEN_KINDS),
        one_of("severity", ALLERGY_SEVERITIES),
        CheckConstraint("length(allergen) > 0", name="allergen_not_empty"),
    )


class Charge(TrackedMixin, Base):
    """A billable line waiting for an invoice: what was supplied, to whom, at what price and tax.

    ``source_type``/``source_id``/``line_no`` name what left it (a consultation; a lab order; line 3 of a
    dispensing; an optical order; a repair), unique, so a repeated action never charges twice.
    ``unit_price_paise`` is tax-inclusive when ``price_includes_tax`` (a medicine's MRP) and exclusive
    otherwise; billing works the GST out of it with ``gst_rate_basis_points`` and ``hsn_sac_code``.
    ``status``: unbilled -> billed (``invoice_id`` set); waived (free follow-up, with a reason) or cancelled.
    """

    __tablename__ = "charges"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID]
    line_no: Mapped[int] = mapped_column(Integer, default=1)
    item_type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_paise: Mapped[int] = Paise(default=0)
    amount_paise: Mapped[int] = Paise(default=0)
    price_includes_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    hsn_sac_code: Mapped[str] = mapped_column(String(8), default="")
    gst_rate_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="unbilled", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(300))
    charged_at: Mapped[datetime]
    doctor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)

    __table_args__ = (
        one_of("source_type", CHARGE_SOURCES),
        one_of("item_type", CHARGE_ITEM_TYPES),
        one_of("status", CHARGE_STATUSES),
        *non_negative("unit_price_paise", "amount_paise"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("line_no >= 1", name="line_no_positive"),
        CheckConstraint("gst_rate_basis_points BETWEEN 0 AND 10000", name="gst_rate_in_range"),
        CheckConstraint("length(description) > 0", name="description_not_empty"),
        CheckConstraint("status <> 'billed' OR invoice_id IS NOT NULL", name="billed_has_invoice"),
        UniqueConstraint("source_type", "source_id", "line_no", name="uq_charges_source_line"),
        Index("ix_charges_patient_id_status", "patient_id", "status"),
    )
