"""Prescriptions (spec Phase 2): the doctor's Rx, its medicine lines, reusable templates, version history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import (
    Base,
    LedgerMixin,
    TrackedMixin,
    code_column,
    ledger_args,
    non_negative,
    one_of,
    partial_unique,
)

PRESCRIPTION_STATUSES = ("draft", "final", "sent_to_pharmacy", "dispensed", "cancelled")
# Statuses in which the Rx has been signed off, so ``finalized_at`` must be set.
PRESCRIPTION_FINALIZED_STATUSES = ("final", "sent_to_pharmacy", "dispensed")
MEDICINE_ROUTES = (
    "oral",
    "sublingual",
    "topical",
    "ophthalmic",
    "otic",
    "nasal",
    "inhalation",
    "intravenous",
    "intramuscular",
    "subcutaneous",
    "rectal",
    "vaginal",
    "other",
)
FOOD_TIMINGS = ("before_food", "after_food", "with_food", "empty_stomach", "bedtime", "any")

_FINALIZED = ", ".join(f"'{s}'" for s in PRESCRIPTION_FINALIZED_STATUSES)


class Prescription(TrackedMixin, Base):
    """A prescription header (``RX-...`` code): patient, doctor, diagnosis, advice, follow-up.

    ``version`` counts edits; every saved edit also appends a row to ``prescription_versions`` with the same
    number, so the history can be shown and the current row checked against its last snapshot.
    """

    __tablename__ = "prescriptions"

    code: Mapped[str] = code_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("doctors.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    diagnosis: Mapped[str] = mapped_column(String(500), default="")
    chief_complaint: Mapped[str] = mapped_column(String(1000), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    follow_up_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    finalized_at: Mapped[datetime | None]
    # When the Rx was first printed or handed to the pharmacy: from then on a change is an amendment with a reason.
    printed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    consultation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consultations.id"), index=True)

    __table_args__ = (
        one_of("status", PRESCRIPTION_STATUSES),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(f"status NOT IN ({_FINALIZED}) OR finalized_at IS NOT NULL", name="finalized_has_time"),
    )


class PrescriptionItem(TrackedMixin, Base):
    """One medicine line of a prescription.

    ``medicine_id`` points at the pharmacy catalog when the doctor picked from it; it is empty for a
    free-text medicine the pharmacy does not stock. ``medicine_name`` is always filled (the name as
    prescribed, kept even if the catalog entry is renamed). ``quantity`` is the amount to dispense
    (0 = let the pharmacist work it out). ``line_no`` orders the lines and is unique among live lines.
    """

    __tablename__ = "prescription_items"

    prescription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    medicine_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("medicines.id"), index=True)
    medicine_name: Mapped[str] = mapped_column(String(200))
    dosage: Mapped[str] = mapped_column(String(100), default="")
    frequency: Mapped[str] = mapped_column(String(100), default="")
    duration_days: Mapped[int | None] = mapped_column(Integer)
    route: Mapped[str | None] = mapped_column(String(16))
    instructions: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    line_no: Mapped[int] = mapped_column(Integer)
    # The generic name (composition) and strength, printed in capitals on the Rx as Indian rules expect.
    generic_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    strength: Mapped[str] = mapped_column(String(64), default="", server_default="")
    food_timing: Mapped[str] = mapped_column(String(16), default="any", server_default="any")
    # Set when the doctor prescribed despite a recorded allergy that matches this medicine.
    allergy_override_reason: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        one_of("route", MEDICINE_ROUTES),
        one_of("food_timing", FOOD_TIMINGS),
        *non_negative("quantity"),
        CheckConstraint("duration_days IS NULL OR duration_days > 0", name="duration_days_positive"),
        CheckConstraint("line_no >= 1", name="line_no_positive"),
        CheckConstraint("length(medicine_name) > 0", name="medicine_name_not_empty"),
        partial_unique(
            "uq_prescription_items_prescription_id_line_no_live",
            "prescription_id",
            "line_no",
            where="deleted_at IS NULL",
        ),
    )


class PrescriptionTemplate(TrackedMixin, Base):
    """A reusable prescription for a common diagnosis; ``doctor_id`` empty means shared by all doctors.

    ``items`` is a JSON list of line objects with the ``prescription_items`` fields (``medicine_id``,
    ``medicine_name``, ``dosage``, ``frequency``, ``duration_days``, ``route``, ``instructions``,
    ``quantity``); applying a template copies them into real lines.
    """

    __tablename__ = "prescription_templates"

    name: Mapped[str] = mapped_column(String(120))
    doctor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    diagnosis: Mapped[str] = mapped_column(String(500), default="")
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    advice: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)


class PrescriptionVersion(LedgerMixin, Base):
    """One saved version of a prescription. Append-only (triggers refuse UPDATE and DELETE).

    ``snapshot`` is the whole prescription as saved: ``{"header": {...}, "items": [{...}, ...]}``.
    ``created_at``/``created_by_id`` (from the mixin) say when and by whom.
    """

    __tablename__ = "prescription_versions"

    prescription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    change_reason: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = ledger_args(
        UniqueConstraint("prescription_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )
