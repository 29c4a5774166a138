"""What a prescription looks like to the screens, the pharmacy and the printout: plain frozen data built from the
stored rows (never live ORM objects), and the snapshot each saved version keeps.

A version's ``snapshot`` (JSON) is ``{"header": {...}, "items": [{...}], "amendment": bool, "amended": bool,
"request_id": str | None}``: the header fields and every live line as saved; ``amendment`` says this version
changed a prescription already printed or sent; ``amended`` that this or an earlier version did;
``request_id`` is the screen's idempotency key of the first save.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db.models.patients import Patient
from db.models.pharmacy import Medicine
from db.models.prescriptions import Prescription, PrescriptionItem, PrescriptionVersion
from db.models.scheduling import Doctor
from hms_desktop.errors import ValidationError
from hms_desktop.services.clinical.dosing import parse_frequency

FOOD_TIMING_LABELS = {
    "before_food": "before food",
    "after_food": "after food",
    "with_food": "with food",
    "empty_stomach": "on an empty stomach",
    "bedtime": "at bedtime",
    "any": "",
}
HEADER_FIELDS = ("diagnosis", "chief_complaint", "notes", "advice", "follow_up_date")
ITEM_FIELDS = (
    "medicine_id",
    "medicine_name",
    "generic_name",
    "strength",
    "form",
    "is_schedule_h",
    "dosage",
    "frequency",
    "duration_days",
    "route",
    "food_timing",
    "instructions",
    "quantity",
    "allergy_override_reason",
)


@dataclass(frozen=True, kw_only=True)
class PrescriptionItemView:
    id: uuid.UUID | None  # the prescription_items row (a dispensing line points at it)
    line_no: int
    medicine_id: uuid.UUID | None  # None: a free-text medicine the pharmacy may not stock
    medicine_name: str  # as prescribed (the brand when picked from the catalogue)
    generic_name: str
    strength: str
    form: str  # the catalogue's form ("tablet"), "" for free text
    is_schedule_h: bool
    dosage: str
    frequency: str  # normal form: "1-0-1", "BD", "SOS"
    frequency_label: str  # "twice a day (morning, night)"
    duration_days: int | None
    route: str | None
    food_timing: str
    food_timing_label: str  # "after food", "" for any
    instructions: str
    quantity: int  # units to dispense; 0: the pharmacist works it out
    allergy_override_reason: str | None


@dataclass(frozen=True, kw_only=True)
class PrescriptionView:
    id: uuid.UUID
    code: str
    version: int  # the current version (the pharmacy dispenses against it)
    status: str  # draft, final, sent_to_pharmacy, dispensed, cancelled
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    doctor_id: uuid.UUID
    doctor_name: str
    appointment_id: uuid.UUID | None
    consultation_id: uuid.UUID | None
    diagnosis: str
    chief_complaint: str
    notes: str
    advice: str
    follow_up_date: date | None
    created_at: datetime
    finalized_at: datetime | None
    printed_at: datetime | None
    sent_at: datetime | None
    amended: bool  # changed after it was printed or sent
    items: tuple[PrescriptionItemView, ...]


def frequency_label(text: str) -> str:
    try:
        return parse_frequency(text).label
    except ValidationError:
        return text


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def item_view(d: dict[str, Any]) -> PrescriptionItemView:
    """A line from its snapshot form (``item_dict``)."""
    timing = str(d.get("food_timing") or "any")
    return PrescriptionItemView(
        id=_uuid(d.get("id")),
        line_no=int(d["line_no"]),
        medicine_id=_uuid(d.get("medicine_id")),
        medicine_name=str(d["medicine_name"]),
        generic_name=str(d.get("generic_name") or ""),
        strength=str(d.get("strength") or ""),
        form=str(d.get("form") or ""),
        is_schedule_h=bool(d.get("is_schedule_h")),
        dosage=str(d.get("dosage") or ""),
        frequency=str(d.get("frequency") or ""),
        frequency_label=frequency_label(str(d.get("frequency") or "")),
        duration_days=d.get("duration_days"),
        route=d.get("route"),
        food_timing=timing,
        food_timing_label=FOOD_TIMING_LABELS.get(timing, timing),
        instructions=str(d.get("instructions") or ""),
        quantity=int(d.get("quantity") or 0),
        allergy_override_reason=d.get("allergy_override_reason"),
    )


def item_dict(item: PrescriptionItem, form: str, is_schedule_h: bool) -> dict[str, Any]:
    """A live line as JSON-ready data (the snapshot's form)."""
    return {
        "id": str(item.id),
        "line_no": item.line_no,
        "medicine_id": str(item.medicine_id) if item.medicine_id else None,
        "medicine_name": item.medicine_name,
        "generic_name": item.generic_name,
        "strength": item.strength,
        "form": form,
        "is_schedule_h": is_schedule_h,
        "dosage": item.dosage,
        "frequency": item.frequency,
        "duration_days": item.duration_days,
        "route": item.route,
        "food_timing": item.food_timing,
        "instructions": item.instructions,
        "quantity": item.quantity,
        "allergy_override_reason": item.allergy_override_reason,
    }


def header_dict(rx: Prescription) -> dict[str, Any]:
    return {
        "code": rx.code,
        "patient_id": str(rx.patient_id),
        "doctor_id": str(rx.doctor_id),
        "appointment_id": str(rx.appointment_id) if rx.appointment_id else None,
        "consultation_id": str(rx.consultation_id) if rx.consultation_id else None,
        "diagnosis": rx.diagnosis,
        "chief_complaint": rx.chief_complaint,
        "notes": rx.notes,
        "advice": rx.advice,
        "follow_up_date": rx.follow_up_date.isoformat() if rx.follow_up_date else None,
        "status": rx.status,
    }


def live_item_dicts(session: Session, rx_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The live lines of each prescription, in line order, with the catalogue's form and Schedule H flag."""
    out: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in rx_ids}
    if not rx_ids:
        return out
    rows = session.execute(
        select(PrescriptionItem, Medicine.form, Medicine.is_schedule_h)
        .outerjoin(Medicine, Medicine.id == PrescriptionItem.medicine_id)
        .where(PrescriptionItem.prescription_id.in_(rx_ids), PrescriptionItem.deleted_at.is_(None))
        .order_by(PrescriptionItem.prescription_id, PrescriptionItem.line_no)
    )
    for item, form, sched_h in rows:
        out[item.prescription_id].append(item_dict(item, form or "", bool(sched_h)))
    return out


def snapshot(
    rx: Prescription, items: list[dict[str, Any]], *, amendment: bool, amended: bool, request_id: str | None
) -> dict[str, Any]:
    return {
        "header": header_dict(rx),
        "items": items,
        "amendment": amendment,
        "amended": amended,
        "request_id": request_id,
    }


def current_snapshots(session: Session, rxs: Iterable[Prescription]) -> dict[uuid.UUID, dict[str, Any]]:
    """The snapshot of each prescription's current version (one query)."""
    pairs = [(rx.id, rx.version) for rx in rxs]
    if not pairs:
        return {}
    cond = [and_(PrescriptionVersion.prescription_id == i, PrescriptionVersion.version == v) for i, v in pairs]
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in range(0, len(cond), 200):
        for pid, snap in session.execute(
            select(PrescriptionVersion.prescription_id, PrescriptionVersion.snapshot).where(
                or_(*cond[chunk : chunk + 200])
            )
        ):
            out[pid] = snap
    return out


def views(session: Session, rxs: Sequence[Prescription]) -> list[PrescriptionView]:
    """Views of ``rxs`` in their order: names, lines and the amended flag read in a few queries."""
    ids = [rx.id for rx in rxs]
    items = live_item_dicts(session, ids)
    snaps = current_snapshots(session, rxs)
    patients = {
        pid: (name, code)
        for pid, name, code in session.execute(
            select(Patient.id, Patient.full_name, Patient.code).where(Patient.id.in_({rx.patient_id for rx in rxs}))
        )
    }
    doctors = {
        did: name
        for did, name in session.execute(
            select(Doctor.id, Doctor.display_name).where(Doctor.id.in_({rx.doctor_id for rx in rxs}))
        )
    }
    out = []
    for rx in rxs:
        name, code = patients.get(rx.patient_id, ("?", "?"))
        out.append(
            PrescriptionView(
                id=rx.id,
                code=rx.code,
                version=rx.version,
                status=rx.status,
                patient_id=rx.patient_id,
                patient_name=name,
                patient_code=code,
                doctor_id=rx.doctor_id,
                doctor_name=doctors.get(rx.doctor_id, "?"),
                appointment_id=rx.appointment_id,
                consultation_id=rx.consultation_id,
                diagnosis=rx.diagnosis,
                chief_complaint=rx.chief_complaint,
                notes=rx.notes,
                advice=rx.advice,
                follow_up_date=rx.follow_up_date,
                created_at=rx.created_at,
                finalized_at=rx.finalized_at,
                printed_at=rx.printed_at,
                sent_at=rx.sent_at,
                amended=bool(snaps.get(rx.id, {}).get("amended")),
                items=tuple(item_view(d) for d in items[rx.id]),
            )
        )
    return out


def view(session: Session, rx: Prescription) -> PrescriptionView:
    return views(session, [rx])[0]
