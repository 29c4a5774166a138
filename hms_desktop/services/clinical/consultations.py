"""Consultations: the doctor opens a patient from today's queue, writes the complaint, findings, ICD-10
diagnoses and follow-up, and completes the visit, which leaves the consultation's charge for billing.

Rules:
- Only the appointment's doctor (the signed-in user's ``doctors`` row) may start, change or complete its
  consultation; anyone else is refused with ``PermissionDenied``, audited (``access.refuse``).
- Start: the patient is waiting or called in today's queue; the queue entry becomes ``in_consultation``, the
  appointment ``in_progress`` (both by the reception module's own functions, which log the status), and one
  consultation is opened, its complaint taken from the booking's reason. Starting again returns the same
  consultation (a double click opens one). A completed visit is not reopened (Conflict).
- Changes are made while the consultation is in progress. A follow-up date is from the clinic's today to a
  year ahead.
- Diagnoses: a list replacing the previous one, line 1 the primary; an ICD-10 code must be a WHO category or
  subcategory (``icd10.describe``), its title the default description; free text without a code is allowed;
  the same code twice is refused. Unchanged lines are kept, removed ones soft-deleted.
- Complete: the queue entry ``done`` and the appointment ``completed`` (``queue.finish_entry``; when the
  reception desk already closed them, they are left as they are), the consultation completed, and the
  charge left (``charges.add_charge``): the fee from ``doctor_fees.consultation_fee`` (OPD, follow-up or
  emergency, in force on the visit's day) with SAC 999312 and GST 0 (exempt health care, unless the clinic
  made a tax rule for 999312), or, for a follow-up within the doctor's free days of the last paid visit, a
  waived charge "free follow-up within N days". No fee set for the doctor: Conflict, nothing completed.
  Completing twice: Conflict.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from sqlalchemy import select

from db.models.clinical import Consultation, ConsultationDiagnosis
from db.models.patients import Patient
from db.models.scheduling import ACTIVE_QUEUE_STATUSES, Appointment, AppointmentQueueEntry, Doctor
from hms_desktop.clinic_time import local_today, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical import icd10
from hms_desktop.services.clinical.access import own_doctor
from hms_desktop.services.clinical.charges import SAC_HEALTH_SERVICES, ChargeInput, add_charge, exempt_unless_configured
from hms_desktop.services.reception.appointments import transition
from hms_desktop.services.reception.doctor_fees import consultation_fee
from hms_desktop.services.reception.queue import finish_entry, start_entry
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

MAX_DIAGNOSES = 20
MAX_FINDINGS = 10_000
CONSULT = "clinical.consult"


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


UNCHANGED = _Unchanged.UNCHANGED  # update_consultation: leave this field as it is


@dataclass(frozen=True)
class DiagnosisInput:
    icd10_code: str | None = None  # "J06.9", "j069"; None for free text
    description: str = ""  # default: the code's WHO title
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class DiagnosisView:
    id: uuid.UUID
    line_no: int  # 1 = primary
    icd10_code: str | None
    description: str
    notes: str


@dataclass(frozen=True, kw_only=True)
class ConsultationView:
    id: uuid.UUID
    appointment_id: uuid.UUID
    appointment_code: str
    appointment_type: str
    visit_date: date
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    doctor_id: uuid.UUID
    doctor_name: str
    status: str  # in_progress, completed, cancelled
    started_at: datetime
    completed_at: datetime | None
    chief_complaint: str
    findings: str
    follow_up_date: date | None
    fee_waived_reason: str | None
    diagnoses: list[DiagnosisView]


def diagnosis_view(d: ConsultationDiagnosis) -> DiagnosisView:
    return DiagnosisView(id=d.id, line_no=d.line_no, icd10_code=d.icd10_code, description=d.description,
                         notes=d.notes)  # fmt: skip


def _live_diagnoses(tx: Transaction, consultation_id: uuid.UUID) -> list[ConsultationDiagnosis]:
    return list(
        tx.session.scalars(
            select(ConsultationDiagnosis)
            .where(ConsultationDiagnosis.consultation_id == consultation_id, ConsultationDiagnosis.deleted_at.is_(None))
            .order_by(ConsultationDiagnosis.line_no)
        )
    )


def _view(tx: Transaction, c: Consultation) -> ConsultationView:
    appt = tx.session.get(Appointment, c.appointment_id)
    patient = tx.session.get(Patient, c.patient_id)
    doctor = tx.session.get(Doctor, c.doctor_id)
    assert appt is not None and patient is not None and doctor is not None
    return ConsultationView(
        id=c.id,
        appointment_id=appt.id,
        appointment_code=appt.code,
        appointment_type=appt.appointment_type,
        visit_date=appt.appointment_date,
        patient_id=patient.id,
        patient_name=patient.full_name,
        patient_code=patient.code,
        doctor_id=doctor.id,
        doctor_name=doctor.display_name,
        status=c.status,
        started_at=c.started_at,
        completed_at=c.completed_at,
        chief_complaint=c.chief_complaint,
        findings=c.findings,
        follow_up_date=c.follow_up_date,
        fee_waived_reason=c.fee_waived_reason,
        diagnoses=[diagnosis_view(d) for d in _live_diagnoses(tx, c.id)],
    )


def _at(tx: Transaction, instant: datetime | None) -> str:
    """ " at 10:42" on the clinic's wall clock ("" for no time)."""
    if instant is None:
        return ""
    return f" at {instant.astimezone(zone_of(clinic_settings(tx.session))):%H:%M}"


def _live_consultation(tx: Transaction, appointment_id: uuid.UUID) -> Consultation | None:
    return tx.session.scalars(
        select(Consultation).where(
            Consultation.appointment_id == appointment_id,
            Consultation.deleted_at.is_(None),
            Consultation.status != "cancelled",
        )
    ).first()


def _entry_to_start(
    tx: Transaction, queue_entry_id: uuid.UUID | None, appointment_id: uuid.UUID | None
) -> AppointmentQueueEntry:
    if (queue_entry_id is None) == (appointment_id is None):
        raise ValidationError("queue_entry_id", "Open a patient from the queue (one token or one appointment).")
    if queue_entry_id is not None:
        entry = tx.session.get(AppointmentQueueEntry, queue_entry_id) if isinstance(queue_entry_id, uuid.UUID) else None
        if entry is None or entry.deleted_at is not None:
            raise NotFound("That queue token does not exist.")
        return entry
    appt = tx.session.get(Appointment, appointment_id) if isinstance(appointment_id, uuid.UUID) else None
    if appt is None or appt.deleted_at is not None:
        raise NotFound("No such appointment.")
    entries = tx.session.scalars(
        select(AppointmentQueueEntry)
        .where(AppointmentQueueEntry.appointment_id == appt.id, AppointmentQueueEntry.deleted_at.is_(None))
        .order_by(AppointmentQueueEntry.checked_in_at.desc())
    ).all()
    entry = next((e for e in entries if e.status in ACTIVE_QUEUE_STATUSES), entries[0] if entries else None)
    if entry is None:
        raise Conflict(f"{appt.code} is {appt.status.replace('_', ' ')}: check the patient in first.")
    return entry


@requires(CONSULT)
def start_consultation(
    ctx: Context, queue_entry_id: uuid.UUID | None = None, *, appointment_id: uuid.UUID | None = None
) -> ConsultationView:
    """Open the patient of a queue token (or of an appointment checked in today); see the module's rules."""
    with ctx.transaction() as tx:
        entry = _entry_to_start(tx, queue_entry_id, appointment_id)
        appt = tx.session.get(Appointment, entry.appointment_id)
        assert appt is not None
        own_doctor(tx, appt.doctor_id, CONSULT, "see this patient", entity_type="appointments", entity_id=appt.id,
                   patient_id=appt.patient_id)  # fmt: skip
        existing = _live_consultation(tx, appt.id)
        if existing is not None and existing.status == "in_progress":
            view = _view(tx, existing)  # opened already (a double click, or the other screen): the same one
            tx.commit()
            return view
        if existing is not None:
            raise Conflict(f"The consultation of {appt.code} was completed{_at(tx, existing.completed_at)}; "
                           "it can be read in the patient's history.")  # fmt: skip
        today = local_today(clinic_settings(tx.session), ctx.clock)
        if entry.queue_date != today:
            raise Conflict(f"That token was for {entry.queue_date:%d %b %Y}; only today's queue can be seen.")
        if entry.status != "in_consultation":  # (already in: its consultation was cancelled; open a new one)
            start_entry(tx, entry)
        consultation = Consultation(
            appointment_id=appt.id,
            patient_id=appt.patient_id,
            doctor_id=appt.doctor_id,
            status="in_progress",
            started_at=ctx.clock.now(),
            chief_complaint=appt.reason[:1000],
        )
        tx.session.add(consultation)
        tx.flush()
        view = _view(tx, consultation)
        tx.commit()
        return view


def _consultation(tx: Transaction, consultation_id: uuid.UUID) -> Consultation:
    c = tx.session.get(Consultation, consultation_id) if isinstance(consultation_id, uuid.UUID) else None
    if c is None or c.deleted_at is not None:
        raise NotFound("That consultation does not exist.")
    return c


def _editable(tx: Transaction, consultation_id: uuid.UUID, doing: str) -> Consultation:
    c = _consultation(tx, consultation_id)
    own_doctor(tx, c.doctor_id, CONSULT, doing, entity_type="consultations", entity_id=c.id, patient_id=c.patient_id)
    if c.status != "in_progress":
        raise Conflict(f"This consultation is {c.status.replace('_', ' ')}; it can no longer be changed.")
    return c


def _notes(value: object, field: str, label: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"{label} is text.")
    text = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"))
    if len(text) > max_len:
        raise ValidationError(field, f"{label} can have at most {max_len} characters.")
    return text


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day + timedelta(days=365)


def _follow_up(value: object, today: date) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("follow_up_date", "Enter the follow-up as a date.")
    if value < today:
        raise ValidationError("follow_up_date", f"The follow-up cannot be in the past (today is {today:%d %b %Y}).")
    if value > one_year_after(today):
        raise ValidationError("follow_up_date", "A follow-up can be at most a year ahead.")
    return value


@requires(CONSULT)
def update_consultation(
    ctx: Context,
    consultation_id: uuid.UUID,
    *,
    chief_complaint: str | _Unchanged = UNCHANGED,
    findings: str | _Unchanged = UNCHANGED,
    follow_up_date: date | None | _Unchanged = UNCHANGED,
) -> ConsultationView:
    """Change the complaint, findings or follow-up (None clears it); fields left ``UNCHANGED`` stay."""
    changes: dict[str, object] = {}
    if chief_complaint is not UNCHANGED:
        complaint = chief_complaint if isinstance(chief_complaint, str) else None
        changes["chief_complaint"] = clean_text(complaint, "chief_complaint", label="The chief complaint",
                                                required=False, max_len=1000)  # fmt: skip
    if findings is not UNCHANGED:
        changes["findings"] = _notes(findings, "findings", "The findings", MAX_FINDINGS)
    with ctx.transaction() as tx:
        if follow_up_date is not UNCHANGED:
            changes["follow_up_date"] = _follow_up(follow_up_date, local_today(clinic_settings(tx.session), ctx.clock))
        c = _editable(tx, consultation_id, "change this consultation")
        for key, value in changes.items():
            if getattr(c, key) != value:
                setattr(c, key, value)
        tx.flush()
        view = _view(tx, c)
        tx.commit()
        return view


def _clean_diagnoses(diagnoses: object) -> list[tuple[str | None, str, str]]:
    if not isinstance(diagnoses, list | tuple):
        raise ValidationError("diagnoses", "Give the diagnoses as a list (the primary first).")
    if len(diagnoses) > MAX_DIAGNOSES:
        raise ValidationError("diagnoses", f"A consultation can have at most {MAX_DIAGNOSES} diagnoses.")
    cleaned: list[tuple[str | None, str, str]] = []
    codes: set[str] = set()
    for i, d in enumerate(diagnoses):
        field = f"diagnoses[{i}]"
        if not isinstance(d, DiagnosisInput):
            raise ValidationError(field, f"Diagnosis {i + 1} is not a diagnosis.")
        code = None
        title = ""
        if d.icd10_code is not None and str(d.icd10_code).strip():
            entry = icd10.describe(str(d.icd10_code))
            if entry is None:
                raise ValidationError(f"{field}.icd10_code", f"Diagnosis {i + 1}: {str(d.icd10_code).strip()} is "
                                      "not an ICD-10 code (search by code or by words of the diagnosis).")  # fmt: skip
            if entry.code in codes:
                raise ValidationError(f"{field}.icd10_code", f"Diagnosis {i + 1}: {entry.code} is already listed.")
            codes.add(entry.code)
            code, title = entry.code, entry.title
        text = d.description if isinstance(d.description, str) else None
        description = clean_text(text, f"{field}.description", label=f"Diagnosis {i + 1}", required=code is None,
                                 max_len=300) or title  # fmt: skip
        notes = d.notes if isinstance(d.notes, str) else None
        note = clean_text(notes, f"{field}.notes", label=f"The notes of diagnosis {i + 1}", required=False, max_len=500)
        cleaned.append((code, description, note))
    return cleaned


@requires(CONSULT)
def set_diagnoses(ctx: Context, consultation_id: uuid.UUID, diagnoses: list[DiagnosisInput]) -> ConsultationView:
    """Replace the consultation's diagnoses with ``diagnoses`` (line 1 the primary; [] clears them)."""
    wanted = _clean_diagnoses(diagnoses)
    with ctx.transaction() as tx:
        c = _editable(tx, consultation_id, "change this consultation")
        now = ctx.clock.now()
        old = {d.line_no: d for d in _live_diagnoses(tx, c.id)}
        keep: set[int] = set()
        for line_no, (code, description, _) in enumerate(wanted, start=1):
            row = old.get(line_no)
            if row is not None and row.icd10_code == code and row.description == description:
                keep.add(line_no)
        for line_no, row in old.items():
            if line_no not in keep:
                row.deleted_at = now
        tx.flush()  # the removed lines free their numbers before new ones take them
        for line_no, (code, description, note) in enumerate(wanted, start=1):
            if line_no in keep:
                if old[line_no].notes != note:
                    old[line_no].notes = note
                continue
            tx.session.add(ConsultationDiagnosis(consultation_id=c.id, patient_id=c.patient_id, icd10_code=code,
                                                 description=description, notes=note, line_no=line_no))  # fmt: skip
        tx.flush()
        view = _view(tx, c)
        tx.commit()
        return view


def _close_visit(tx: Transaction, appt: Appointment) -> None:
    """The queue entry done and the appointment completed, unless the desk has closed them already."""
    entry = tx.session.scalars(
        select(AppointmentQueueEntry).where(
            AppointmentQueueEntry.appointment_id == appt.id,
            AppointmentQueueEntry.status.in_(ACTIVE_QUEUE_STATUSES),
            AppointmentQueueEntry.deleted_at.is_(None),
        )
    ).first()
    if entry is not None:
        finish_entry(tx, entry)
    elif appt.status == "in_progress":
        transition(tx, appt, "completed")


def _leave_charge(tx: Transaction, c: Consultation, appt: Appointment) -> None:
    doctor = tx.session.get(Doctor, c.doctor_id)
    assert doctor is not None
    fee_type, paise, reason = consultation_fee(
        tx.session, c.doctor_id, c.patient_id, appt.appointment_date, appt.appointment_type
    )
    free = fee_type == "follow_up" and paise == 0 and reason.startswith("free")
    kind = {"opd": "OPD", "follow_up": "follow-up", "emergency": "emergency"}[fee_type]
    rate = exempt_unless_configured(tx, "service", SAC_HEALTH_SERVICES, appt.appointment_date)
    add_charge(
        tx,
        ChargeInput(
            patient_id=c.patient_id,
            source_type="consultation",
            source_id=c.id,
            item_type="consultation",
            description=f"Consultation: {doctor.display_name} ({kind})",
            unit_price_paise=paise,
            appointment_id=appt.id,
            doctor_id=doctor.id,
            hsn_sac_code=SAC_HEALTH_SERVICES,
            gst_rate_basis_points=rate,
            waived_reason=reason if free else None,
        ),
    )
    if free:
        c.fee_waived_reason = reason


@requires(CONSULT)
def complete_consultation(ctx: Context, consultation_id: uuid.UUID) -> ConsultationView:
    """End the visit (see the module's rules); the view's ``follow_up_date`` lets the screen offer the booking."""
    with ctx.transaction() as tx:
        c = _consultation(tx, consultation_id)
        own_doctor(tx, c.doctor_id, CONSULT, "complete this consultation", entity_type="consultations",
                   entity_id=c.id, patient_id=c.patient_id)  # fmt: skip
        if c.status == "completed":
            raise Conflict(f"This consultation was already completed{_at(tx, c.completed_at)}.")
        if c.status != "in_progress":
            raise Conflict(f"This consultation is {c.status}; it cannot be completed.")
        appt = tx.session.get(Appointment, c.appointment_id)
        assert appt is not None
        _close_visit(tx, appt)
        c.status, c.completed_at = "completed", ctx.clock.now()
        tx.flush()
        _leave_charge(tx, c, appt)
        tx.flush()
        view = _view(tx, c)
        tx.commit()
        return view


@requires("patients.view")
def consultation(ctx: Context, consultation_id: uuid.UUID) -> ConsultationView:
    with ctx.transaction(readonly=True) as tx:
        return _view(tx, _consultation(tx, consultation_id))


@requires("patients.view")
def current_consultation(ctx: Context, appointment_id: uuid.UUID) -> ConsultationView | None:
    """The appointment's consultation (in progress or completed), or None when it has not been opened."""
    with ctx.transaction(readonly=True) as tx:
        c = _live_consultation(tx, appointment_id) if isinstance(appointment_id, uuid.UUID) else None
        return _view(tx, c) if c is not None else None
