"""Appointments: a doctor's day of slots, booking, rescheduling, cancelling, no-shows, the status machine.

booked -> checked_in -> in_progress -> completed, and booked -> cancelled / no_show, checked_in -> cancelled.
Every change is written to ``appointment_status_log`` with who and when. Slot times are the clinic's wall
clock; a slot holds ``max_patients_per_slot`` live bookings (cancelled and no-show ones free their place).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from db.models.patients import Patient
from db.models.scheduling import (
    ACTIVE_QUEUE_STATUSES,
    APPOINTMENT_TYPES,
    Appointment,
    AppointmentQueueEntry,
    AppointmentStatusLog,
    Doctor,
    DoctorSchedule,
)
from hms_desktop.clinic_time import local_now
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import APPOINTMENTS, Series, next_code
from hms_desktop.services.reception.doctor_schedules import approved_leave
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

TRANSITIONS: dict[str, set[str]] = {
    "booked": {"checked_in", "cancelled", "no_show"},
    "checked_in": {"in_progress", "cancelled"},
    "in_progress": {"completed"},
    "completed": set(),
    "cancelled": set(),
    "no_show": set(),
}
HOLDS_SLOT = ("booked", "checked_in", "in_progress", "completed")


def appointment_series(settings: dict[str, object]) -> Series:
    """APT-2026-000001: prefix from the clinic's settings, 6 digits, counted per year."""
    return APPOINTMENTS.resolve(settings)


@dataclass(frozen=True, kw_only=True)
class Slot:
    start: time
    end: time
    capacity: int
    booked: int
    state: str  # "free", "full", "past"


@dataclass(frozen=True, kw_only=True)
class DaySlots:
    doctor_id: uuid.UUID
    day: date
    on_leave: bool
    leave_reason: str
    slots: list[Slot]


@dataclass(frozen=True, kw_only=True)
class AppointmentView:
    id: uuid.UUID
    code: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    doctor_id: uuid.UUID
    doctor_name: str
    day: date
    slot_start: time
    slot_end: time
    appointment_type: str
    status: str
    reason: str


def _view(
    a: Appointment, patient_name: str | None, patient_code: str | None, doctor_name: str | None
) -> AppointmentView:
    return AppointmentView(
        id=a.id,
        code=a.code,
        patient_id=a.patient_id,
        patient_name="?" if patient_name is None else patient_name,
        patient_code="?" if patient_code is None else patient_code,
        doctor_id=a.doctor_id,
        doctor_name="?" if doctor_name is None else doctor_name,
        day=a.appointment_date,
        slot_start=a.slot_start,
        slot_end=a.slot_end,
        appointment_type=a.appointment_type,
        status=a.status,
        reason=a.reason,
    )


def view(tx: Transaction, a: Appointment) -> AppointmentView:
    p = tx.session.get(Patient, a.patient_id)
    d = tx.session.get(Doctor, a.doctor_id)
    return _view(a, p.full_name if p else None, p.code if p else None, d.display_name if d else None)


def transition(tx: Transaction, appt: Appointment, to: str, note: str = "") -> None:
    if to not in TRANSITIONS[appt.status]:
        raise Conflict(
            f"Appointment {appt.code} is {appt.status.replace('_', ' ')}; it cannot become {to.replace('_', ' ')}."
        )
    now = tx.ctx.clock.now()
    tx.session.add(
        AppointmentStatusLog(
            appointment_id=appt.id,
            from_status=appt.status,
            to_status=to,
            changed_at=now,
            changed_by_id=tx.ctx.actor.user_id,
            note=note[:500],
        )
    )
    appt.status = to
    stamp = {"checked_in": "checked_in_at", "in_progress": "started_at", "completed": "completed_at"}.get(to)
    if stamp:
        setattr(appt, stamp, now)


def sessions_on(tx: Transaction, doctor_id: uuid.UUID, day: date) -> list[DoctorSchedule]:
    return list(
        tx.session.scalars(
            select(DoctorSchedule)
            .where(
                DoctorSchedule.doctor_id == doctor_id,
                DoctorSchedule.day_of_week == day.weekday(),
                DoctorSchedule.is_active.is_(True),
                DoctorSchedule.deleted_at.is_(None),
                DoctorSchedule.effective_from <= day,
                (DoctorSchedule.effective_to.is_(None)) | (DoctorSchedule.effective_to >= day),
            )
            .order_by(DoctorSchedule.start_time)
        )
    )


def _plus(t: time, minutes: int) -> time:
    return (datetime.combine(date.min, t) + timedelta(minutes=minutes)).time()


def slot_grid(sessions: list[DoctorSchedule]) -> list[tuple[time, time, int]]:
    grid = []
    for s in sessions:
        start = s.start_time
        while _plus(start, s.slot_minutes) <= s.end_time and _plus(start, s.slot_minutes) > start:
            grid.append((start, _plus(start, s.slot_minutes), s.max_patients_per_slot))
            start = _plus(start, s.slot_minutes)
    return grid


def booked_counts(tx: Transaction, doctor_id: uuid.UUID, day: date) -> dict[time, int]:
    rows = tx.session.execute(
        select(Appointment.slot_start, func.count())
        .where(
            Appointment.doctor_id == doctor_id,
            Appointment.appointment_date == day,
            Appointment.status.in_(HOLDS_SLOT),
            Appointment.deleted_at.is_(None),
        )
        .group_by(Appointment.slot_start)
    ).all()
    return {start: int(n) for start, n in rows}


def _doctor(tx: Transaction, doctor_id: uuid.UUID) -> Doctor:
    d = tx.session.get(Doctor, doctor_id)
    if d is None or d.deleted_at is not None or not d.is_active:
        raise ValidationError("doctor_id", "Choose an active doctor.")
    return d


@requires("appointments.view")
def day_slots(ctx: Context, doctor_id: uuid.UUID, day: date) -> DaySlots:
    with ctx.transaction(readonly=True) as tx:
        _doctor(tx, doctor_id)
        now = local_now(clinic_settings(tx.session), ctx.clock)
        leave = approved_leave(tx.session, doctor_id, day)
        counts = booked_counts(tx, doctor_id, day)
        slots = []
        for start, end, cap in slot_grid(sessions_on(tx, doctor_id, day)):
            n = counts.get(start, 0)
            past = datetime.combine(day, start, now.tzinfo) < now
            state = "past" if past else ("full" if n >= cap else "free")
            slots.append(Slot(start=start, end=end, capacity=cap, booked=n, state=state))
        return DaySlots(
            doctor_id=doctor_id,
            day=day,
            on_leave=leave is not None,
            leave_reason=leave.reason if leave else "",
            slots=slots,
        )


@dataclass(frozen=True)
class BookingInput:
    patient_id: uuid.UUID
    doctor_id: uuid.UUID
    day: date
    slot_start: time
    appointment_type: str = "new"
    reason: str = ""


def book_in(
    tx: Transaction, data: BookingInput, *, over_capacity: bool = False, allow_past: bool = False
) -> Appointment:
    """Book inside an open transaction (shared by booking, rescheduling and walk-ins)."""
    if data.appointment_type not in APPOINTMENT_TYPES:
        raise ValidationError("appointment_type", f"{data.appointment_type} is not an appointment type.")
    patient = tx.session.get(Patient, data.patient_id)
    if patient is None or patient.deleted_at is not None:
        raise ValidationError("patient_id", "Choose a registered patient.")
    doctor = _doctor(tx, data.doctor_id)
    settings = clinic_settings(tx.session)
    now = local_now(settings, tx.ctx.clock)
    leave = approved_leave(tx.session, doctor.id, data.day)
    if leave is not None:
        raise ValidationError(
            "day",
            f"{doctor.display_name} is on leave on {data.day:%d %b %Y}"
            + (f" ({leave.reason})." if leave.reason else "."),
        )
    slot = next((s for s in slot_grid(sessions_on(tx, doctor.id, data.day)) if s[0] == data.slot_start), None)
    if slot is None:
        raise ValidationError(
            "slot_start", f"{data.slot_start:%H:%M} is outside {doctor.display_name}'s hours on {data.day:%A}."
        )
    start, end, capacity = slot
    if not allow_past:
        if data.day < now.date():
            raise ValidationError("day", "That day is in the past.")
        if datetime.combine(data.day, end, now.tzinfo) <= now:
            raise ValidationError("slot_start", "That slot is in the past.")
    same = tx.session.scalar(
        select(Appointment.code).where(
            Appointment.patient_id == patient.id,
            Appointment.doctor_id == doctor.id,
            Appointment.appointment_date == data.day,
            Appointment.slot_start == start,
            Appointment.status.in_(("booked", "checked_in", "in_progress")),
        )
    )
    if same:
        raise ValidationError("patient_id", f"{patient.full_name} is already booked in this slot ({same}).")
    taken = booked_counts(tx, doctor.id, data.day).get(start, 0)
    if taken >= capacity and not over_capacity:
        raise ValidationError("slot_start", f"The {start:%H:%M} slot is full ({taken} of {capacity}); choose another.")
    appt = Appointment(
        code=next_code(tx, appointment_series(settings), now.date()),
        patient_id=patient.id,
        doctor_id=doctor.id,
        appointment_date=data.day,
        slot_start=start,
        slot_end=end,
        appointment_type=data.appointment_type,
        status="booked",
        reason=clean_text(data.reason, "reason", label="Reason", required=False, max_len=500),
        booked_at=tx.ctx.clock.now(),
    )
    tx.session.add(appt)
    tx.session.flush()
    tx.session.add(
        AppointmentStatusLog(
            appointment_id=appt.id,
            from_status=None,
            to_status="booked",
            changed_at=tx.ctx.clock.now(),
            changed_by_id=tx.ctx.actor.user_id,
        )
    )
    return appt


@requires("appointments.create")
def book_appointment(ctx: Context, data: BookingInput) -> AppointmentView:
    with ctx.transaction() as tx:
        appt = book_in(tx, data, over_capacity=data.appointment_type == "emergency")
        result = view(tx, appt)
        tx.commit()
        return result


def _appointment(tx: Transaction, appointment_id: uuid.UUID) -> Appointment:
    a = tx.session.get(Appointment, appointment_id)
    if a is None or a.deleted_at is not None:
        raise NotFound("No such appointment.")
    return a


@requires("appointments.update")
def reschedule(
    ctx: Context, appointment_id: uuid.UUID, day: date, slot_start: time, reason: str = ""
) -> AppointmentView:
    with ctx.transaction() as tx:
        old = _appointment(tx, appointment_id)
        if old.status != "booked":
            raise Conflict(f"Only a booked appointment can be moved; {old.code} is {old.status.replace('_', ' ')}.")
        transition(tx, old, "cancelled", f"rescheduled: {reason}".strip())
        old.cancel_reason = f"Rescheduled to {day:%d %b} {slot_start:%H:%M}"
        tx.session.flush()
        new = book_in(
            tx, BookingInput(old.patient_id, old.doctor_id, day, slot_start, old.appointment_type, old.reason)
        )
        new.rescheduled_from_id = old.id
        result = view(tx, new)
        tx.commit()
        return result


def cancel_queue_entry(tx: Transaction, appointment_id: uuid.UUID) -> None:
    """A cancelled appointment leaves the queue (its active entry, if it was checked in)."""
    for e in tx.session.scalars(
        select(AppointmentQueueEntry).where(
            AppointmentQueueEntry.appointment_id == appointment_id,
            AppointmentQueueEntry.status.in_(ACTIVE_QUEUE_STATUSES),
        )
    ):
        e.status = "cancelled"


@requires("appointments.cancel")
def cancel_appointment(ctx: Context, appointment_id: uuid.UUID, reason: str) -> AppointmentView:
    why = clean_text(reason, "reason", label="A reason for cancelling", max_len=500)
    with ctx.transaction() as tx:
        appt = _appointment(tx, appointment_id)
        transition(tx, appt, "cancelled", why)
        appt.cancel_reason = why
        cancel_queue_entry(tx, appt.id)
        result = view(tx, appt)
        tx.commit()
        return result


@requires("appointments.update")
def mark_no_show(ctx: Context, appointment_id: uuid.UUID) -> AppointmentView:
    with ctx.transaction() as tx:
        appt = _appointment(tx, appointment_id)
        now = local_now(clinic_settings(tx.session), ctx.clock)
        if datetime.combine(appt.appointment_date, appt.slot_start, now.tzinfo) > now:
            raise Conflict("The appointment's time has not come yet; it cannot be a no-show.")
        transition(tx, appt, "no_show")
        result = view(tx, appt)
        tx.commit()
        return result


@requires("appointments.view")
def list_appointments(ctx: Context, day: date, doctor_id: uuid.UUID | None = None) -> list[AppointmentView]:
    with ctx.transaction(readonly=True) as tx:
        q = (
            select(Appointment, Patient.full_name, Patient.code, Doctor.display_name)
            .outerjoin(Patient, Patient.id == Appointment.patient_id)
            .outerjoin(Doctor, Doctor.id == Appointment.doctor_id)
            .where(Appointment.appointment_date == day, Appointment.deleted_at.is_(None))
        )
        if doctor_id:
            q = q.where(Appointment.doctor_id == doctor_id)
        rows = tx.session.execute(q.order_by(Appointment.slot_start, Appointment.code))
        return [_view(a, p_name, p_code, d_name) for a, p_name, p_code, d_name in rows]


@requires("appointments.view")
def status_history(ctx: Context, appointment_id: uuid.UUID) -> list[tuple[str | None, str, datetime, uuid.UUID | None]]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(
            select(AppointmentStatusLog)
            .where(AppointmentStatusLog.appointment_id == appointment_id)
            .order_by(AppointmentStatusLog.changed_at, AppointmentStatusLog.created_at)
        )
        return [(r.from_status, r.to_status, r.changed_at, r.changed_by_id) for r in rows]
