"""Prescription tests' clinic: the clinical day (tests/clinical_fixtures.py: Dr Meera Iyer and Dr Rahul Menon signed
in as themselves, nurse, receptionist, Kavya Nair checked in at 10:00 on Monday 30 November 2026) with the demo
medicine catalogue loaded. Helpers: ``line(...)`` for an item, ``rx_input(day, ...)`` for a prescription of
Kavya's appointment, ``medicine(day, brand)`` for a catalogue id, ``written(ctx)`` counting what the prescription
services write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.hospital import IdSequence
from db.models.pharmacy import Medicine
from db.models.prescriptions import Prescription, PrescriptionItem, PrescriptionTemplate, PrescriptionVersion
from hms_desktop.context import Context
from hms_desktop.services.clinical.medicine_search import load_demo_catalog
from hms_desktop.services.clinical.prescription_input import PrescriptionInput, PrescriptionItemInput
from tests.clinical_fixtures import ClinicalDay, clinical_day


@dataclass(frozen=True)
class RxDay:
    day: ClinicalDay
    medicines: dict[str, uuid.UUID]  # brand -> id


def rx_day(system_ctx: Context, make_user) -> RxDay:  # type: ignore[no-untyped-def]
    day = clinical_day(system_ctx, make_user)
    load_demo_catalog(day.system)
    with day.system.transaction(readonly=True) as tx:
        meds = {name: mid for name, mid in tx.session.execute(select(Medicine.name, Medicine.id))}
    return RxDay(day, meds)


def line(medicine_id: uuid.UUID | None = None, **kw: object) -> PrescriptionItemInput:
    values: dict[str, object] = {"dosage": "1 tab", "frequency": "1-0-1", "duration_days": 5}
    values["food_timing"] = "after_food"
    values.update(kw)
    return PrescriptionItemInput(medicine_id=medicine_id, **values)  # type: ignore[arg-type]


def rx_input(rx: RxDay, *items: PrescriptionItemInput, **kw: object) -> PrescriptionInput:
    values: dict[str, object] = {
        "patient_id": rx.day.patient.id,
        "appointment_id": rx.day.appointment.id,
        "diagnosis": "Acute bronchitis",
        "chief_complaint": "Cough and fever for 3 days",
        "advice": "Warm fluids, rest.",
        "items": items or (line(rx.medicines["Dolo 650"]),),
    }
    values.update(kw)
    return PrescriptionInput(**values)  # type: ignore[arg-type]


def written(ctx: Context) -> dict[str, int]:
    """Rows of each table the prescription services write (and the numbers taken from code series)."""
    with ctx.transaction(readonly=True) as tx:
        out = {
            t.__tablename__: int(tx.session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (Prescription, PrescriptionItem, PrescriptionVersion, PrescriptionTemplate)
        }
        out["numbers"] = int(tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0))) or 0)
        return out


def audit_actions(ctx: Context, action: str) -> list[AuditLog]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.seq))
        return list(rows)
