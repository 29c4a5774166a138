"""Doctors' weekly sessions and leaves.

Session times are the clinic's local wall-clock times (the ``timezone`` setting) stored as they are, never
converted to UTC; dates are plain dates. Setting a weekly schedule replaces the active sessions: the old rows
are tombstoned (``is_active`` false, ``deleted_at`` set), not deleted.

Leaves move requested -> approved | rejected | cancelled, and approved -> cancelled. A leave recorded by
someone who may manage doctors is approved at once (the desk records leave the doctor announced); anyone
else's is a request. Only approved leave blocks booking (``doctor_on_leave``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.patients import Patient
from db.models.scheduling import Appointment, DoctorLeave, DoctorSchedule
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.reception.doctors import doctor_row, is_date, whole_number
from hms_desktop.validation import clean_text

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OPEN_LEAVE_STATUSES = ("requested", "approved")
CLASH_STATUSES = ("booked", "checked_in")


@dataclass(frozen=True)
class ScheduleInput:
    day_of_week: int  # 0 = Monday .. 6 = Sunday
    start_time: time  # the clinic's local wall clock
    end_time: time
    slot_minutes: int
    max_patients_per_slot: int
    effective_from: date
    effective_to: date | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleView(ScheduleInput):
    id: uuid.UUID
    doctor_id: uuid.UUID
    day_name: str


@dataclass(frozen=True, kw_only=True)
class LeaveView:
    id: uuid.UUID
    doctor_id: uuid.UUID
    start_date: date
    end_date: date
    reason: str
    status: str
    approved_by_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class ClashView:
    """A live appointment on a leave day: whom the desk must call."""

    appointment_id: uuid.UUID
    appointment_code: str
    patient_id: uuid.UUID
    patient_code: str
    patient_name: str
    patient_phone: str | None
    appointment_date: date
    slot_start: time


def _hhmm(t: time) -> str:
    return f"{t:%H:%M}"


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _clean_time(value: object, field: str) -> time:
    if not isinstance(value, time) or value.tzinfo is not None or value.second or value.microsecond:
        raise ValidationError(field, "Enter a time of day in whole minutes (the clinic's local time), e.g. 09:30.")
    return value


def _clean_session(n: int, s: ScheduleInput) -> ScheduleInput:
    where = f"Session {n}"
    day = whole_number(s.day_of_week, "day_of_week", 0, 6, f"{where}: the day (0 = Monday .. 6 = Sunday)")
    start, end = _clean_time(s.start_time, "start_time"), _clean_time(s.end_time, "end_time")
    label = f"{DAY_NAMES[day]} {_hhmm(start)}-{_hhmm(end)}"
    if end <= start:
        raise ValidationError("end_time", f"{label}: the session must end after it starts.")
    slot = whole_number(s.slot_minutes, "slot_minutes", 5, 120, f"{label}: slot minutes")
    length = _minutes(end) - _minutes(start)
    if length % slot:
        raise ValidationError("slot_minutes", f"{label}: {length} minutes cannot be split into {slot}-minute slots.")
    per_slot = whole_number(s.max_patients_per_slot, "max_patients_per_slot", 1, 20, f"{label}: patients per slot")
    if not is_date(s.effective_from):
        raise ValidationError("effective_from", f"{label}: enter the date the session starts.")
    if s.effective_to is not None and (not is_date(s.effective_to) or s.effective_to < s.effective_from):
        raise ValidationError("effective_to", f"{label}: the end date must be on or after the start date.")
    return ScheduleInput(day, start, end, slot, per_slot, s.effective_from, s.effective_to)


def _dates_meet(a: ScheduleInput, b: ScheduleInput) -> bool:
    return (a.effective_to is None or b.effective_from <= a.effective_to) and (
        b.effective_to is None or a.effective_from <= b.effective_to
    )


def _check_overlaps(sessions: list[ScheduleInput]) -> None:
    ordered = sorted(sessions, key=lambda x: (x.day_of_week, x.start_time))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.day_of_week == a.day_of_week and b.start_time < a.end_time and _dates_meet(a, b):
                raise ValidationError(
                    "sessions",
                    f"{DAY_NAMES[a.day_of_week]} {_hhmm(a.start_time)}-{_hhmm(a.end_time)} overlaps "
                    f"{_hhmm(b.start_time)}-{_hhmm(b.end_time)}",
                )


def _schedule_view(r: DoctorSchedule) -> ScheduleView:
    return ScheduleView(
        day_of_week=r.day_of_week,
        start_time=r.start_time,
        end_time=r.end_time,
        slot_minutes=r.slot_minutes,
        max_patients_per_slot=r.max_patients_per_slot,
        effective_from=r.effective_from,
        effective_to=r.effective_to,
        id=r.id,
        doctor_id=r.doctor_id,
        day_name=DAY_NAMES[r.day_of_week],
    )


def _active_sessions(session: Session, doctor_id: uuid.UUID) -> list[DoctorSchedule]:
    return list(
        session.scalars(
            select(DoctorSchedule)
            .where(
                DoctorSchedule.doctor_id == doctor_id,
                DoctorSchedule.is_active.is_(True),
                DoctorSchedule.deleted_at.is_(None),
            )
            .order_by(DoctorSchedule.day_of_week, DoctorSchedule.start_time, DoctorSchedule.effective_from)
        )
    )


@requires("doctors.manage")
def set_weekly_schedule(ctx: Context, doctor_id: uuid.UUID, sessions: list[ScheduleInput]) -> list[ScheduleView]:
    """Replace the doctor's weekly sessions with ``sessions`` (an empty list clears the schedule)."""
    if not isinstance(sessions, list | tuple) or not all(isinstance(s, ScheduleInput) for s in sessions):
        raise ValidationError("sessions", "Give the schedule as a list of sessions.")
    cleaned = [_clean_session(n, s) for n, s in enumerate(sessions, start=1)]
    _check_overlaps(cleaned)
    with ctx.transaction() as tx:
        doctor = doctor_row(tx.session, doctor_id, active=True)
        now = ctx.clock.now()
        for old in _active_sessions(tx.session, doctor.id):
            old.is_active = False
            old.deleted_at = now
        tx.session.add_all(DoctorSchedule(doctor_id=doctor.id, is_active=True, **vars(s)) for s in cleaned)
        tx.flush()
        views = [_schedule_view(r) for r in _active_sessions(tx.session, doctor.id)]
        tx.commit()
    return views


@requires("doctors.view")
def list_schedule(ctx: Context, doctor_id: uuid.UUID, on: date | None = None) -> list[ScheduleView]:
    """The doctor's active weekly sessions; with ``on``, only the sessions held on that date."""
    if on is not None and not is_date(on):
        raise ValidationError("on", "Enter a date.")
    with ctx.transaction(readonly=True) as tx:
        rows = _active_sessions(tx.session, doctor_row(tx.session, doctor_id).id)
    if on is not None:
        rows = [
            r
            for r in rows
            if r.day_of_week == on.weekday()
            and r.effective_from <= on
            and (r.effective_to is None or on <= r.effective_to)
        ]
    return [_schedule_view(r) for r in rows]


# --- leaves


def _leave_view(r: DoctorLeave) -> LeaveView:
    return LeaveView(
        id=r.id,
        doctor_id=r.doctor_id,
        start_date=r.start_date,
        end_date=r.end_date,
        reason=r.reason,
        status=r.status,
        approved_by_id=r.approved_by_id,
    )


def _leave(session: Session, leave_id: uuid.UUID) -> DoctorLeave:
    found = session.get(DoctorLeave, leave_id) if isinstance(leave_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise NotFound("That leave does not exist (it may have been removed on another PC).")
    return found


@requires("doctors.view")
def request_leave(ctx: Context, doctor_id: uuid.UUID, start_date: date, end_date: date, reason: str) -> LeaveView:
    """Record a leave of whole days; approved at once when the actor may manage doctors, else requested."""
    if not is_date(start_date):
        raise ValidationError("start_date", "Enter the first day of the leave.")
    if not is_date(end_date) or end_date < start_date:
        raise ValidationError("end_date", "The last day of the leave must be on or after the first day.")
    text = clean_text(reason if isinstance(reason, str) else None, "reason", label="Reason", required=False)
    with ctx.transaction() as tx:
        s = tx.session
        doctor = doctor_row(s, doctor_id, active=True)
        other = s.scalars(
            select(DoctorLeave).where(
                DoctorLeave.doctor_id == doctor.id,
                DoctorLeave.deleted_at.is_(None),
                DoctorLeave.status.in_(OPEN_LEAVE_STATUSES),
                DoctorLeave.start_date <= end_date,
                DoctorLeave.end_date >= start_date,
            )
        ).first()
        if other is not None:
            raise ValidationError(
                "start_date",
                f"{doctor.display_name} already has {other.status} leave from {other.start_date:%d %b %Y} "
                f"to {other.end_date:%d %b %Y}.",
            )
        manager = ctx.actor.can("doctors.manage")
        leave = DoctorLeave(
            doctor_id=doctor.id, start_date=start_date, end_date=end_date, reason=text,
            status="approved" if manager else "requested", approved_by_id=ctx.actor.user_id if manager else None,
        )  # fmt: skip
        s.add(leave)
        tx.flush()
        view = _leave_view(leave)
        tx.commit()
    return view


def _move(ctx: Context, leave_id: uuid.UUID, allowed: tuple[str, ...], to: str) -> LeaveView:
    with ctx.transaction() as tx:
        leave = _leave(tx.session, leave_id)
        if leave.status not in allowed:
            raise Conflict(f"This leave is {leave.status}; it cannot be {to} now.")
        leave.status = to
        if to == "approved":
            leave.approved_by_id = ctx.actor.user_id
        tx.flush()
        view = _leave_view(leave)
        tx.commit()
    return view


@requires("doctors.manage")
def approve_leave(ctx: Context, leave_id: uuid.UUID) -> LeaveView:
    return _move(ctx, leave_id, ("requested",), "approved")


@requires("doctors.manage")
def reject_leave(ctx: Context, leave_id: uuid.UUID) -> LeaveView:
    return _move(ctx, leave_id, ("requested",), "rejected")


@requires("doctors.manage")
def cancel_leave(ctx: Context, leave_id: uuid.UUID) -> LeaveView:
    return _move(ctx, leave_id, OPEN_LEAVE_STATUSES, "cancelled")


@requires("doctors.view")
def list_leaves(ctx: Context, doctor_id: uuid.UUID, *, open_only: bool = True) -> list[LeaveView]:
    """The doctor's leaves by start date; ``open_only`` keeps requested and approved ones."""
    with ctx.transaction(readonly=True) as tx:
        query = select(DoctorLeave).where(
            DoctorLeave.doctor_id == doctor_row(tx.session, doctor_id).id, DoctorLeave.deleted_at.is_(None)
        )
        if open_only:
            query = query.where(DoctorLeave.status.in_(OPEN_LEAVE_STATUSES))
        return [_leave_view(r) for r in tx.session.scalars(query.order_by(DoctorLeave.start_date))]


@requires("doctors.view")
def leave_clashes(ctx: Context, leave_id: uuid.UUID) -> list[ClashView]:
    """Booked or checked-in appointments of the doctor on the leave's days, by date and slot."""
    with ctx.transaction(readonly=True) as tx:
        leave = _leave(tx.session, leave_id)
        rows = tx.session.execute(
            select(Appointment, Patient)
            .join(Patient, Patient.id == Appointment.patient_id)
            .where(
                Appointment.doctor_id == leave.doctor_id,
                Appointment.deleted_at.is_(None),
                Appointment.status.in_(CLASH_STATUSES),
                Appointment.appointment_date.between(leave.start_date, leave.end_date),
            )
            .order_by(Appointment.appointment_date, Appointment.slot_start, Appointment.code)
        ).all()
        return [
            ClashView(
                appointment_id=a.id,
                appointment_code=a.code,
                patient_id=p.id,
                patient_code=p.code,
                patient_name=p.full_name,
                patient_phone=p.phone,
                appointment_date=a.appointment_date,
                slot_start=a.slot_start,
            )
            for a, p in rows
        ]


def approved_leave(session: Session, doctor_id: uuid.UUID, day: date) -> DoctorLeave | None:
    """The doctor's approved leave covering ``day``, if any (for the booking service)."""
    return session.scalar(
        select(DoctorLeave)
        .where(
            DoctorLeave.doctor_id == doctor_id,
            DoctorLeave.deleted_at.is_(None),
            DoctorLeave.status == "approved",
            DoctorLeave.start_date <= day,
            DoctorLeave.end_date >= day,
        )
        .limit(1)
    )


def doctor_on_leave(session: Session, doctor_id: uuid.UUID, day: date) -> bool:
    return approved_leave(session, doctor_id, day) is not None
