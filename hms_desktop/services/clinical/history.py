"""What the doctor sees of a patient: the header (who, age, allergies, last visit) and the earlier visits.

A visit is a completed appointment. Each visit shows its date, doctor, complaint, diagnoses, the
prescriptions written at it (code, medicine lines), its lab orders (test, status, flag, summary), its eye
prescriptions (code and a one-line summary) and its vitals. The prescription, lab and optical tables are
read directly (their services are other modules').

Cost: a fixed number of queries whatever the number of visits (the appointments, then each table once for
the list of appointment ids), each on an index: ``appointments.patient_id``, ``consultations.appointment_id``,
``consultation_diagnoses.consultation_id``, ``prescriptions.appointment_id``,
``prescription_items.prescription_id``, ``lab_orders.appointment_id``, ``optical_prescriptions.appointment_id``,
``vitals.appointment_id``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.clinical import Consultation, ConsultationDiagnosis, Vitals
from db.models.lab import LabOrder
from db.models.optical import OpticalPrescription
from db.models.patients import Patient
from db.models.prescriptions import Prescription, PrescriptionItem
from db.models.scheduling import Appointment, Doctor
from hms_desktop.clinic_time import age_on, local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.allergies import AllergyView, active_allergies
from hms_desktop.services.clinical.consultations import DiagnosisView
from hms_desktop.services.clinical.vitals import VitalsView, vitals_view
from hms_desktop.settings import clinic_settings

MAX_VISITS = 100
_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class PatientHeader:
    id: uuid.UUID
    code: str
    name: str
    sex: str  # M, F, O, U
    date_of_birth: date | None
    age: int | None  # on the clinic's today
    age_is_approximate: bool
    blood_group: str
    allergies: list[AllergyView]  # active ones
    last_visit_date: date | None  # the last completed visit


@dataclass(frozen=True, kw_only=True)
class PrescriptionLine:
    medicine_name: str
    generic_name: str
    strength: str
    dosage: str
    frequency: str
    duration_days: int | None


@dataclass(frozen=True, kw_only=True)
class PrescriptionSummary:
    id: uuid.UUID
    code: str
    status: str
    items: list[PrescriptionLine]


@dataclass(frozen=True, kw_only=True)
class LabOrderSummary:
    id: uuid.UUID
    code: str
    test_name: str
    status: str
    flag: str | None  # normal, abnormal, critical
    summary: str


@dataclass(frozen=True, kw_only=True)
class EyePrescriptionSummary:
    id: uuid.UUID
    code: str
    summary: str  # "R -1.25/-0.50x180 Add +1.50; L -1.00"


@dataclass(frozen=True, kw_only=True)
class VisitView:
    appointment_id: uuid.UUID
    appointment_code: str
    visit_date: date
    appointment_type: str
    doctor_id: uuid.UUID
    doctor_name: str
    consultation_id: uuid.UUID | None
    chief_complaint: str
    follow_up_date: date | None
    diagnoses: list[DiagnosisView]
    prescriptions: list[PrescriptionSummary]
    lab_orders: list[LabOrderSummary]
    eye_prescriptions: list[EyePrescriptionSummary]
    vitals: list[VitalsView]  # newest first


def _patient(tx: Transaction, patient_id: uuid.UUID) -> Patient:
    p = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
    if p is None or p.deleted_at is not None:
        raise NotFound("That patient does not exist (the record may have been archived).")
    return p


@requires("patients.view")
def patient_header(ctx: Context, patient_id: uuid.UUID) -> PatientHeader:
    with ctx.transaction(readonly=True) as tx:
        p = _patient(tx, patient_id)
        today = local_today(clinic_settings(tx.session), ctx.clock)
        last = tx.session.scalar(
            select(func.max(Appointment.appointment_date)).where(
                Appointment.patient_id == p.id, Appointment.status == "completed", Appointment.deleted_at.is_(None)
            )
        )
        return PatientHeader(
            id=p.id,
            code=p.code,
            name=p.full_name,
            sex=p.gender,
            date_of_birth=p.date_of_birth,
            age=age_on(p.date_of_birth, today) if p.date_of_birth else None,
            age_is_approximate=p.dob_is_approximate,
            blood_group=p.blood_group,
            allergies=active_allergies(tx, p.id),
            last_visit_date=last,
        )


def _power(hundredths: int | None) -> str:
    return "" if hundredths is None else f"{hundredths / 100:+.2f}"


def _eye(o: Mapping[Any, Any], side: str) -> str:
    sphere, cyl, axis, add = (o[f"{side}_{k}"] for k in ("sphere", "cylinder", "axis", "add_power"))
    if sphere is None and cyl is None and add is None:
        return ""
    text = "plano" if not sphere else _power(sphere)
    if cyl:
        text += f"/{_power(cyl)}" + (f"x{axis}" if axis is not None else "")
    if add:
        text += f" Add {_power(add)}"
    return f"{side[0].upper()} {text}"


def eye_summary(o: Mapping[Any, Any]) -> str:
    """One line from an eye prescription's columns: "R -1.25/-0.50x180 Add +1.50; L -1.00; PD 62.5"."""
    parts = [p for p in (_eye(o, "right"), _eye(o, "left")) if p]
    if o["pd_mm_tenths"]:
        parts.append(f"PD {o['pd_mm_tenths'] / 10:g}")
    return "; ".join(parts) or "no powers recorded"


_EYE_COLUMNS = [
    getattr(OpticalPrescription, f"{side}_{k}")
    for side in ("right", "left")
    for k in ("sphere", "cylinder", "axis", "add_power")
]


def _grouped(rows: Iterable[tuple[uuid.UUID | None, _T]]) -> dict[uuid.UUID | None, list[_T]]:
    out: dict[uuid.UUID | None, list[_T]] = defaultdict(list)
    for key, value in rows:
        out[key].append(value)
    return out


class _Visits:
    """The rows of one history page, read with one query per table for all its appointments, and only the
    columns the views show (building ORM objects would be most of the cost)."""

    def __init__(self, session: Session, ids: list[uuid.UUID]) -> None:
        self.session = session
        c = Consultation
        self.consultations = {
            a_id: (c_id, complaint, follow_up)
            for c_id, a_id, complaint, follow_up in session.execute(
                select(c.id, c.appointment_id, c.chief_complaint, c.follow_up_date).where(
                    c.appointment_id.in_(ids), c.deleted_at.is_(None), c.status != "cancelled"
                )
            )
        }
        self.diagnoses = self._diagnoses([c_id for c_id, _, _ in self.consultations.values()])
        self.prescriptions = self._prescriptions(ids)
        o = LabOrder
        self.labs = _grouped(
            (a_id, LabOrderSummary(id=o_id, code=code, test_name=test, status=status, flag=flag, summary=summary))
            for o_id, a_id, code, test, status, flag, summary in session.execute(
                select(o.id, o.appointment_id, o.code, o.test_name, o.status, o.result_flag, o.result_summary)
                .where(o.appointment_id.in_(ids), o.deleted_at.is_(None))
                .order_by(o.ordered_at, o.code)
            )
        )
        e = OpticalPrescription
        self.eyes = _grouped(
            (row.appointment_id, EyePrescriptionSummary(id=row.id, code=row.code, summary=eye_summary(row._mapping)))
            for row in session.execute(
                select(e.id, e.appointment_id, e.code, e.pd_mm_tenths, *_EYE_COLUMNS)
                .where(e.appointment_id.in_(ids), e.deleted_at.is_(None))
                .order_by(e.examined_at, e.code)
            )
        )
        self.vitals = _grouped(
            (v.appointment_id, vitals_view(v))
            for v in session.scalars(
                select(Vitals)
                .where(Vitals.appointment_id.in_(ids), Vitals.deleted_at.is_(None))
                .order_by(Vitals.recorded_at.desc(), Vitals.id.desc())
            )
        )

    def _diagnoses(self, consultation_ids: list[uuid.UUID]) -> dict[uuid.UUID | None, list[DiagnosisView]]:
        if not consultation_ids:
            return {}
        d = ConsultationDiagnosis
        rows = self.session.execute(
            select(d.id, d.consultation_id, d.line_no, d.icd10_code, d.description, d.notes)
            .where(d.consultation_id.in_(consultation_ids), d.deleted_at.is_(None))
            .order_by(d.line_no)
        )
        return _grouped(
            (c_id, DiagnosisView(id=d_id, line_no=n, icd10_code=code, description=text, notes=notes))
            for d_id, c_id, n, code, text, notes in rows
        )

    def _prescriptions(self, ids: list[uuid.UUID]) -> dict[uuid.UUID | None, list[PrescriptionSummary]]:
        rx = Prescription
        headers = self.session.execute(
            select(rx.id, rx.appointment_id, rx.code, rx.status)
            .where(rx.appointment_id.in_(ids), rx.deleted_at.is_(None), rx.status != "cancelled")
            .order_by(rx.created_at, rx.code)
        ).all()
        if not headers:
            return {}
        i = PrescriptionItem
        items = self.session.execute(
            select(i.prescription_id, i.medicine_name, i.generic_name, i.strength, i.dosage, i.frequency,
                   i.duration_days)
            .where(i.prescription_id.in_([h[0] for h in headers]), i.deleted_at.is_(None))
            .order_by(i.line_no)
        )  # fmt: skip
        lines = _grouped(
            (rx_id, PrescriptionLine(medicine_name=name, generic_name=generic, strength=strength, dosage=dosage,
                                     frequency=frequency, duration_days=days))
            for rx_id, name, generic, strength, dosage, frequency, days in items
        )  # fmt: skip
        return _grouped(
            (a_id, PrescriptionSummary(id=rx_id, code=code, status=status, items=lines.get(rx_id, [])))
            for rx_id, a_id, code, status in headers
        )


@requires("patients.view")
def patient_history(ctx: Context, patient_id: uuid.UUID, limit: int = 20) -> list[VisitView]:
    """The patient's completed visits, newest first, each with what was found, written and measured."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_VISITS:
        raise ValidationError("limit", f"Show from 1 to {MAX_VISITS} visits.")
    with ctx.transaction(readonly=True) as tx:
        p = _patient(tx, patient_id)
        visits = tx.session.execute(
            select(Appointment.id, Appointment.code, Appointment.appointment_date, Appointment.appointment_type,
                   Appointment.doctor_id, Appointment.reason, Doctor.display_name)
            .join(Doctor, Doctor.id == Appointment.doctor_id)
            .where(Appointment.patient_id == p.id, Appointment.status == "completed", Appointment.deleted_at.is_(None))
            .order_by(Appointment.appointment_date.desc(), Appointment.slot_start.desc(), Appointment.id.desc())
            .limit(limit)
        ).all()  # fmt: skip
        if not visits:
            return []
        found = _Visits(tx.session, [a_id for a_id, *_ in visits])
        result = []
        for a_id, code, on, kind, doctor_id, reason, doctor_name in visits:
            c_id, complaint, follow_up = found.consultations.get(a_id, (None, reason, None))
            result.append(
                VisitView(
                    appointment_id=a_id,
                    appointment_code=code,
                    visit_date=on,
                    appointment_type=kind,
                    doctor_id=doctor_id,
                    doctor_name=doctor_name,
                    consultation_id=c_id,
                    chief_complaint=complaint,
                    follow_up_date=follow_up,
                    diagnoses=found.diagnoses.get(c_id, []) if c_id else [],
                    prescriptions=found.prescriptions.get(a_id, []),
                    lab_orders=found.labs.get(a_id, []),
                    eye_prescriptions=found.eyes.get(a_id, []),
                    vitals=found.vitals.get(a_id, []),
                )
            )
        return result
