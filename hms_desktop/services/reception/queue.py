"""The live OPD queue: check-in gives a token per doctor per day; call next, skip, recall; estimated wait.

Order of call: emergencies first, then the clinic's priority groups (senior citizens, ...), then arrival
(token). The wait estimate is that doctor's recent average consultation (called -> finished, last 20 of
the past 30 days; the doctor's default length until there are 3) times the people ahead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from db.models.clinical import Consultation
from db.models.patients import Patient
from db.models.scheduling import (
    QUEUE_PRIORITY_EMERGENCY,
    QUEUE_PRIORITY_NORMAL,
    QUEUE_PRIORITY_PRIORITY_GROUP,
    Appointment,
    AppointmentQueueEntry,
    Doctor,
)
from hms_desktop.clinic_time import age_on, local_now
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import local_workstation_letter
from hms_desktop.services.reception.appointments import BookingInput, book_in, sessions_on, slot_grid, transition
from hms_desktop.settings import clinic_settings

RECENT = 20
MIN_SAMPLES = 3


def token_label(e: AppointmentQueueEntry) -> str:
    return f"{e.token_prefix}{e.token_number}"


@dataclass(frozen=True, kw_only=True)
class QueueEntryView:
    id: uuid.UUID
    appointment_id: uuid.UUID
    appointment_code: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    doctor_id: uuid.UUID
    token: int
    token_label: str  # what the patient's slip and the waiting-room board show: "7", or "B7" from WS02
    priority: int
    priority_group: str | None
    status: str
    checked_in_at: datetime
    called_at: datetime | None
    wait_minutes: int | None


@dataclass(frozen=True, kw_only=True)
class QueueView:
    doctor_id: uuid.UUID
    doctor_name: str
    day: date
    serving: QueueEntryView | None
    waiting: list[QueueEntryView]
    skipped: list[QueueEntryView]
    average_minutes: float


def _priority(
    tx: Transaction, appt: Appointment, patient: Patient, group: str | None, today: date
) -> tuple[int, str | None]:
    if appt.appointment_type == "emergency":
        return QUEUE_PRIORITY_EMERGENCY, group
    settings = clinic_settings(tx.session)
    groups = set(settings.get("queue_priority_groups") or [])
    chosen = group or patient.priority_group
    if (
        chosen is None
        and patient.date_of_birth
        and age_on(patient.date_of_birth, today) >= int(settings.get("senior_citizen_age", 60))
    ):
        chosen = "senior_citizen"
    if chosen and chosen in groups:
        return QUEUE_PRIORITY_PRIORITY_GROUP, chosen
    return QUEUE_PRIORITY_NORMAL, chosen


def average_minutes(tx: Transaction, doctor: Doctor) -> float:
    since = tx.ctx.clock.now() - timedelta(days=30)
    rows = tx.session.execute(
        select(AppointmentQueueEntry.called_at, AppointmentQueueEntry.finished_at)
        .where(
            AppointmentQueueEntry.doctor_id == doctor.id,
            AppointmentQueueEntry.status == "done",
            AppointmentQueueEntry.called_at.is_not(None),
            AppointmentQueueEntry.finished_at > since,
        )
        .order_by(AppointmentQueueEntry.finished_at.desc())
        .limit(RECENT)
    ).all()
    spans = [(f - c).total_seconds() / 60 for c, f in rows if f and c and f > c]
    if len(spans) < MIN_SAMPLES:
        return float(doctor.default_consultation_minutes)
    return sum(spans) / len(spans)


def _order(entries: list[AppointmentQueueEntry]) -> list[AppointmentQueueEntry]:
    return sorted(entries, key=lambda e: (e.priority, e.checked_in_at, e.token_prefix, e.token_number))


def _entries(
    tx: Transaction, doctor_id: uuid.UUID, day: date, statuses: tuple[str, ...]
) -> list[AppointmentQueueEntry]:
    return list(
        tx.session.scalars(
            select(AppointmentQueueEntry).where(
                AppointmentQueueEntry.doctor_id == doctor_id,
                AppointmentQueueEntry.queue_date == day,
                AppointmentQueueEntry.status.in_(statuses),
            )
        )
    )


# By appointment id: its code, and its patient's id, name and code.
_Booked = dict[uuid.UUID, tuple[str, uuid.UUID, str, str]]


def _booked(tx: Transaction, entries: Iterable[AppointmentQueueEntry]) -> _Booked:
    """What the views of ``entries`` show of their appointments and patients, in one query."""
    rows = tx.session.execute(
        select(Appointment.id, Appointment.code, Patient.id, Patient.full_name, Patient.code)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Appointment.id.in_([e.appointment_id for e in entries]))
    )
    return {a_id: (code, p_id, name, p_code) for a_id, code, p_id, name, p_code in rows}


def _view(e: AppointmentQueueEntry, booked: _Booked, wait: int | None) -> QueueEntryView:
    code, patient_id, patient_name, patient_code = booked[e.appointment_id]
    return QueueEntryView(
        id=e.id,
        appointment_id=e.appointment_id,
        appointment_code=code,
        patient_id=patient_id,
        patient_name=patient_name,
        patient_code=patient_code,
        doctor_id=e.doctor_id,
        token=e.token_number,
        token_label=token_label(e),
        priority=e.priority,
        priority_group=e.priority_group,
        status=e.status,
        checked_in_at=e.checked_in_at,
        called_at=e.called_at,
        wait_minutes=wait,
    )


def _view_of(tx: Transaction, e: AppointmentQueueEntry, wait: int | None) -> QueueEntryView:
    return _view(e, _booked(tx, [e]), wait)


def _waits(
    tx: Transaction, doctor: Doctor, day: date
) -> tuple[AppointmentQueueEntry | None, list[tuple[AppointmentQueueEntry, int]], float]:
    avg = average_minutes(tx, doctor)
    serving = next(iter(_entries(tx, doctor.id, day, ("called", "in_consultation"))), None)
    ahead = 1 if serving else 0
    waiting = [(e, round((i + ahead) * avg)) for i, e in enumerate(_order(_entries(tx, doctor.id, day, ("waiting",))))]
    return serving, waiting, avg


def check_in_appointment(
    tx: Transaction, appt: Appointment, priority_group: str | None = None
) -> AppointmentQueueEntry:
    settings = clinic_settings(tx.session)
    today = local_now(settings, tx.ctx.clock).date()
    if appt.status == "cancelled":
        raise ValidationError("appointment_id", f"{appt.code} was cancelled; book again to check in.")
    if appt.status != "booked":
        raise ValidationError("appointment_id", f"{appt.code} is already {appt.status.replace('_', ' ')}.")
    if appt.appointment_date != today:
        raise ValidationError("appointment_id", f"{appt.code} is for {appt.appointment_date:%d %b %Y}, not today.")
    patient = tx.session.get(Patient, appt.patient_id)
    doctor = tx.session.get(Doctor, appt.doctor_id)
    assert patient is not None and doctor is not None
    priority, group = _priority(tx, appt, patient, priority_group, today)
    letter = local_workstation_letter(tx)  # this PC's own run of tokens: two desks offline never clash
    last = tx.session.scalar(
        select(func.max(AppointmentQueueEntry.token_number)).where(
            AppointmentQueueEntry.doctor_id == doctor.id,
            AppointmentQueueEntry.queue_date == today,
            AppointmentQueueEntry.token_prefix == letter,
        )
    )
    transition(tx, appt, "checked_in")
    entry = AppointmentQueueEntry(
        appointment_id=appt.id,
        doctor_id=doctor.id,
        queue_date=today,
        token_number=(last or 0) + 1,
        token_prefix=letter,
        priority=priority,
        priority_group=group,
        status="waiting",
        checked_in_at=tx.ctx.clock.now(),
    )
    tx.session.add(entry)
    tx.session.flush()
    _, waiting, _ = _waits(tx, doctor, today)
    entry.estimated_wait_minutes = next((w for e, w in waiting if e.id == entry.id), 0)
    return entry


@requires("appointments.checkin")
def check_in(ctx: Context, appointment_id: uuid.UUID, *, priority_group: str | None = None) -> QueueEntryView:
    with ctx.transaction() as tx:
        appt = tx.session.get(Appointment, appointment_id)
        if appt is None or appt.deleted_at is not None:
            raise ValidationError("appointment_id", "No such appointment.")
        entry = check_in_appointment(tx, appt, priority_group)
        result = _view_of(tx, entry, entry.estimated_wait_minutes)
        tx.commit()
        return result


@requires("appointments.checkin")
def walk_in(
    ctx: Context, patient_id: uuid.UUID, doctor_id: uuid.UUID, *, emergency: bool = False, reason: str = ""
) -> QueueEntryView:
    """A patient without an appointment: booked into the current slot (capacity aside) and checked in."""
    with ctx.transaction() as tx:
        now = local_now(clinic_settings(tx.session), ctx.clock)
        grid = slot_grid(sessions_on(tx, doctor_id, now.date()))
        current = next((s for s in grid if s[0] <= now.time() < s[1]), None) or next(
            (s for s in grid if s[0] > now.time()), None
        )
        if current is None:
            raise ValidationError("doctor_id", "The doctor has no more sessions today; choose another doctor.")
        kind = "emergency" if emergency else "walk_in"
        appt = book_in(
            tx, BookingInput(patient_id, doctor_id, now.date(), current[0], kind, reason), over_capacity=True
        )
        entry = check_in_appointment(tx, appt)
        result = _view_of(tx, entry, entry.estimated_wait_minutes)
        tx.commit()
        return result


def _doctor(tx: Transaction, doctor_id: uuid.UUID) -> Doctor:
    d = tx.session.get(Doctor, doctor_id)
    if d is None or d.deleted_at is not None:
        raise NotFound("No such doctor.")
    return d


def start_entry(tx: Transaction, entry: AppointmentQueueEntry) -> None:
    """The doctor opens a waiting or called patient: the entry is ``in_consultation`` (called now if it had not
    been), the appointment ``in_progress``. Used by the consultation service (``services.clinical``)."""
    if entry.status not in ("waiting", "called"):
        raise Conflict(
            f"Token {token_label(entry)} is {entry.status.replace('_', ' ')}; only a waiting or called patient "
            "can be seen" + (" (recall them first)." if entry.status == "skipped" else ".")
        )
    appt = tx.session.get(Appointment, entry.appointment_id)
    assert appt is not None
    now = tx.ctx.clock.now()
    if appt.status == "checked_in":
        transition(tx, appt, "in_progress")
    if entry.called_at is None:
        entry.called_at, entry.call_count = now, entry.call_count + 1
    entry.status, entry.started_at = "in_consultation", now


def finish_entry(tx: Transaction, entry: AppointmentQueueEntry) -> None:
    """The patient leaves the doctor: the entry is ``done`` and the appointment ``completed`` (both logged)."""
    appt = tx.session.get(Appointment, entry.appointment_id)
    assert appt is not None
    now = tx.ctx.clock.now()
    if appt.status == "checked_in":
        transition(tx, appt, "in_progress")
    transition(tx, appt, "completed")
    entry.status, entry.finished_at = "done", now


def _refuse_open_consultation(tx: Transaction, entry: AppointmentQueueEntry, doctor: Doctor) -> None:
    """The doctor is writing this patient's consultation (Doctor dock): the desk's Call next must not end the
    visit under them (no fee, notes half-saved). The doctor completes it, which calls the next patient."""
    open_id = tx.session.scalar(
        select(Consultation.id).where(
            Consultation.appointment_id == entry.appointment_id,
            Consultation.status == "in_progress",
            Consultation.deleted_at.is_(None),
        )
    )
    if open_id is not None:
        name = _booked(tx, [entry])[entry.appointment_id][2]
        raise Conflict(
            f"{doctor.display_name} is still with {name} (token {token_label(entry)}); "
            "the doctor completes the visit in the Doctor screen, which calls the next patient."
        )


@requires("queue.manage")
def call_next(ctx: Context, doctor_id: uuid.UUID) -> QueueEntryView | None:
    """Finish the patient with the doctor (if any) and call the next one; None when nobody is waiting."""
    with ctx.transaction() as tx:
        doctor = _doctor(tx, doctor_id)
        today = local_now(clinic_settings(tx.session), ctx.clock).date()
        for current in _entries(tx, doctor.id, today, ("called", "in_consultation")):
            _refuse_open_consultation(tx, current, doctor)
            finish_entry(tx, current)
        waiting = _order(_entries(tx, doctor.id, today, ("waiting",)))
        if not waiting:
            tx.commit()
            return None
        nxt = waiting[0]
        nxt.status, nxt.called_at, nxt.call_count = "called", ctx.clock.now(), nxt.call_count + 1
        tx.session.flush()
        result = _view_of(tx, nxt, 0)
        tx.commit()
        return result


def _entry(tx: Transaction, entry_id: uuid.UUID) -> AppointmentQueueEntry:
    e = tx.session.get(AppointmentQueueEntry, entry_id)
    if e is None:
        raise NotFound("No such queue entry.")
    return e


@requires("queue.manage")
def skip(ctx: Context, entry_id: uuid.UUID) -> QueueEntryView:
    """The called (or a waiting) patient is not there: set aside, to be recalled when they come back."""
    with ctx.transaction() as tx:
        e = _entry(tx, entry_id)
        if e.status not in ("waiting", "called"):
            raise Conflict(
                f"Token {token_label(e)} is {e.status.replace('_', ' ')}; only waiting or called tokens can be skipped."
            )
        e.status = "skipped"
        result = _view_of(tx, e, None)
        tx.commit()
        return result


@requires("queue.manage")
def recall(ctx: Context, entry_id: uuid.UUID) -> QueueEntryView:
    """A skipped patient is back: into the line again with their own token and priority."""
    with ctx.transaction() as tx:
        e = _entry(tx, entry_id)
        if e.status != "skipped":
            raise Conflict(f"Token {token_label(e)} is {e.status.replace('_', ' ')}, not skipped.")
        e.status = "waiting"
        result = _view_of(tx, e, None)
        tx.commit()
        return result


@requires("queue.view")
def queue_for(ctx: Context, doctor_id: uuid.UUID, day: date | None = None) -> QueueView:
    with ctx.transaction(readonly=True) as tx:
        doctor = _doctor(tx, doctor_id)
        when = day or local_now(clinic_settings(tx.session), ctx.clock).date()
        serving, waiting, avg = _waits(tx, doctor, when)
        skipped = _order(_entries(tx, doctor.id, when, ("skipped",)))
        booked = _booked(tx, [e for e, _ in waiting] + skipped + ([serving] if serving else []))
        return QueueView(
            doctor_id=doctor.id,
            doctor_name=doctor.display_name,
            day=when,
            serving=_view(serving, booked, 0) if serving else None,
            waiting=[_view(e, booked, w) for e, w in waiting],
            skipped=[_view(e, booked, None) for e in skipped],
            average_minutes=avg,
        )
