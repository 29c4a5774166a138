"""The pharmacy's list of prescriptions to dispense: every prescription the doctor sent (status
``sent_to_pharmacy``), oldest first, and one of them opened with its lines.

The pharmacy always sees the current version: a prescription amended after it was sent shows the amended lines,
and the version number is returned with them so a dispensing can record which version it filled.

A partly dispensed prescription stays on the list until every line of its current version is filled: each entry
counts its filled and remaining lines, and the opened prescription gives each line's prescribed, dispensed and
remaining quantity (``rx_fill``: a line without a prescribed quantity, SOS, is open until dispensed once).

Gate: ``prescriptions.view``. The lists hold what the doctor prescribed to whom, i.e. prescription data; the
Pharmacist's role holds it (with ``pharmacy.view``), while a role with only ``pharmacy.view`` (the Inventory
Manager) sees stock, not patients' prescriptions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.models.patients import Patient
from db.models.prescriptions import Prescription
from db.models.scheduling import Doctor
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.prescription_print import registration
from hms_desktop.services.clinical.prescription_views import PrescriptionItemView, current_snapshots, view
from hms_desktop.services.pharmacy.rx_fill import LineFill, fills

MAX_LIST = 500


@dataclass(frozen=True, kw_only=True)
class ToDispenseEntry:
    prescription_id: uuid.UUID
    code: str
    version: int  # the current version: what the pharmacy dispenses against
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    doctor_id: uuid.UUID
    doctor_name: str
    sent_at: datetime | None
    item_count: int
    amended: bool  # changed after it was printed or sent
    filled_items: int  # lines dispensed in full (an SOS line: dispensed once)
    remaining_items: int  # lines with something still to dispense
    partly_dispensed: bool  # something was dispensed already; the rest is pending


@dataclass(frozen=True, kw_only=True)
class PrescriptionToDispense:
    prescription_id: uuid.UUID
    code: str
    version: int
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    doctor_id: uuid.UUID
    doctor_name: str
    doctor_registration: str  # "Reg. No. KMC-48211 (Karnataka Medical Council)" (Rule 65: the prescriber)
    sent_at: datetime | None
    amended: bool
    diagnosis: str
    advice: str
    items: tuple[PrescriptionItemView, ...]  # each with its prescription_items id, Schedule H flag and quantity
    fills: tuple[LineFill, ...]  # per line, in the order of ``items``: prescribed, dispensed, remaining


@requires("prescriptions.view")
def to_dispense(ctx: Context, *, limit: int = 200) -> list[ToDispenseEntry]:
    """Prescriptions sent to the pharmacy and not yet dispensed, the longest waiting first."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationError("limit", f"Ask for 1 to {MAX_LIST} prescriptions.")
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.execute(
            select(Prescription, Patient.full_name, Patient.code, Doctor.display_name)
            .outerjoin(Patient, Patient.id == Prescription.patient_id)
            .outerjoin(Doctor, Doctor.id == Prescription.doctor_id)
            .where(Prescription.status == "sent_to_pharmacy", Prescription.deleted_at.is_(None))
            .order_by(Prescription.sent_at, Prescription.code)
            .limit(limit)
        ).all()
        lines = fills(tx.session, [r[0].id for r in rows])
        snaps = current_snapshots(tx.session, [r[0] for r in rows])
        return [
            ToDispenseEntry(
                prescription_id=rx.id,
                code=rx.code,
                version=rx.version,
                patient_id=rx.patient_id,
                patient_name=p_name or "?",
                patient_code=p_code or "?",
                doctor_id=rx.doctor_id,
                doctor_name=d_name or "?",
                sent_at=rx.sent_at,
                item_count=len(lines[rx.id]),
                amended=bool(snaps.get(rx.id, {}).get("amended")),
                filled_items=sum(1 for f in lines[rx.id] if f.filled),
                remaining_items=sum(1 for f in lines[rx.id] if not f.filled),
                partly_dispensed=any(f.dispensed for f in lines[rx.id]),
            )
            for rx, p_name, p_code, d_name in rows
        ]


@requires("prescriptions.view")
def prescription_to_dispense(ctx: Context, rx_id: uuid.UUID) -> PrescriptionToDispense:
    """One sent prescription as the pharmacist fills it: the current version's lines and its number."""
    with ctx.transaction(readonly=True) as tx:
        rx = tx.session.get(Prescription, rx_id)
        if rx is None or rx.deleted_at is not None:
            raise NotFound("No such prescription.")
        if rx.status != "sent_to_pharmacy":
            state = {"draft": "not sent to the pharmacy yet", "final": "not sent to the pharmacy yet"}
            raise Conflict(
                f"{rx.code} is {state.get(rx.status, rx.status.replace('_', ' '))}; there is nothing to dispense."
            )
        v = view(tx.session, rx)
        doctor = tx.session.get(Doctor, rx.doctor_id)
        by_item = {f.prescription_item_id: f for f in fills(tx.session, [rx.id])[rx.id]}
        return PrescriptionToDispense(
            prescription_id=v.id,
            code=v.code,
            version=v.version,
            patient_id=v.patient_id,
            patient_name=v.patient_name,
            patient_code=v.patient_code,
            doctor_id=v.doctor_id,
            doctor_name=v.doctor_name,
            doctor_registration=registration(doctor) if doctor is not None else "",
            sent_at=v.sent_at,
            amended=v.amended,
            diagnosis=v.diagnosis,
            advice=v.advice,
            items=v.items,
            fills=tuple(by_item[i.id] for i in v.items if i.id is not None),
        )
