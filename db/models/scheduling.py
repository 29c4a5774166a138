"""Doctors, their schedules, leaves and fees; appointments, their status ledger and the OPD queue (Phase 1).

``*_by_id`` columns that name a user (``approved_by_id``, ``changed_by_id``) are attribution, not relations:
no foreign key, for the reason given on ``db.base.TrackedMixin`` (the user may not have arrived through sync
yet, and a user's record must stay deletable without rewriting history).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import (
    Base,
    LedgerMixin,
    Paise,
    TrackedMixin,
    code_column,
    ledger_args,
    non_negative,
    one_of,
    partial_unique,
    sql_in,
)
from db.models.patients import PRIORITY_GROUPS

DAYS_OF_WEEK = (0, 1, 2, 3, 4, 5, 6)  # 0 = Monday, as datetime.date.weekday()
LEAVE_STATUSES = ("requested", "approved", "rejected", "cancelled")
FEE_TYPES = ("opd", "follow_up", "emergency")

APPOINTMENT_TYPES = ("new", "follow_up", "emergency", "walk_in")
APPOINTMENT_STATUSES = ("booked", "checked_in", "in_progress", "completed", "cancelled", "no_show")
# Statuses that hold a slot: a patient may have at most one of these per doctor, date and slot.
LIVE_APPOINTMENT_STATUSES = ("booked", "checked_in", "in_progress")

QUEUE_STATUSES = ("waiting", "called", "in_consultation", "skipped", "done", "cancelled")
# Statuses of a queue entry still in play: at most one such entry per appointment.
ACTIVE_QUEUE_STATUSES = ("waiting", "called", "in_consultation", "skipped")
# Queue priority: lower is seen first.
QUEUE_PRIORITY_EMERGENCY = 0
QUEUE_PRIORITY_PRIORITY_GROUP = 1
QUEUE_PRIORITY_NORMAL = 2


class Doctor(TrackedMixin, Base):
    """A doctor's profile, one per user account: department, specialization, registration, default slot.

    ``registration_number``/``registration_council`` are the medical licence (NMC or a state council);
    a number is unique within its council.
    """

    __tablename__ = "doctors"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    specialization: Mapped[str] = mapped_column(String(120), default="")
    qualification: Mapped[str] = mapped_column(String(200), default="")
    registration_number: Mapped[str | None] = mapped_column(String(32))
    registration_council: Mapped[str] = mapped_column(String(120), default="")
    default_consultation_minutes: Mapped[int] = mapped_column(Integer, default=15)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    bio: Mapped[str] = mapped_column(String(2000), default="")

    __table_args__ = (
        UniqueConstraint("registration_council", "registration_number"),
        CheckConstraint("length(display_name) > 0", name="display_name_not_empty"),
        CheckConstraint("default_consultation_minutes > 0", name="default_consultation_minutes_positive"),
    )


class DoctorSchedule(TrackedMixin, Base):
    """A weekly session: on ``day_of_week`` (0 = Monday) from ``start_time`` to ``end_time``, in slots.

    A doctor may have several sessions a day (morning, evening). Times are the hospital's local wall
    clock. ``effective_to`` null means open-ended.
    """

    __tablename__ = "doctor_schedules"

    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("doctors.id"), index=True)
    day_of_week: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    max_patients_per_slot: Mapped[int] = mapped_column(Integer, default=1)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("day_of_week BETWEEN 0 AND 6", name="day_of_week_in_range"),
        CheckConstraint("end_time > start_time", name="end_after_start"),
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("max_patients_per_slot >= 1", name="max_patients_per_slot_positive"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective_range"),
    )


class DoctorLeave(TrackedMixin, Base):
    """A leave over whole days ``start_date``..``end_date`` (inclusive); only ``approved`` blocks booking."""

    __tablename__ = "doctor_leaves"

    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("doctors.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    approved_by_id: Mapped[uuid.UUID | None]

    __table_args__ = (
        one_of("status", LEAVE_STATUSES),
        CheckConstraint("end_date >= start_date", name="end_after_start"),
    )


class DoctorFee(TrackedMixin, Base):
    """A consultation fee of one type, in paise, in force from ``effective_from``.

    ``follow_up_free_days``: a follow-up within this many days of the paid visit is free (0 = never).
    """

    __tablename__ = "doctor_fees"

    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("doctors.id"), index=True)
    fee_type: Mapped[str] = mapped_column(String(16))
    amount_paise: Mapped[int] = Paise()
    follow_up_free_days: Mapped[int] = mapped_column(Integer, default=0)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]

    __table_args__ = (
        UniqueConstraint("doctor_id", "fee_type", "effective_from"),
        one_of("fee_type", FEE_TYPES),
        *non_negative("amount_paise", "follow_up_free_days"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective_range"),
    )


class Appointment(TrackedMixin, Base):
    """A booked visit; ``code`` (``APT-...``) is issued from ``id_sequences``.

    Every status change is also written to ``appointment_status_log``. A reschedule cancels this row and
    books a new one whose ``rescheduled_from_id`` points back here. Walk-ins are appointments of type
    ``walk_in`` in the slot they arrived in. ``slot_start``/``slot_end`` are local wall-clock times.
    """

    __tablename__ = "appointments"

    code: Mapped[str] = code_column(24)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("doctors.id"), index=True)
    appointment_date: Mapped[date]
    slot_start: Mapped[time] = mapped_column(Time)
    slot_end: Mapped[time] = mapped_column(Time)
    appointment_type: Mapped[str] = mapped_column(String(16), default="new")
    status: Mapped[str] = mapped_column(String(16), default="booked")
    reason: Mapped[str] = mapped_column(String(500), default="")
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    rescheduled_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    booked_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    __table_args__ = (
        one_of("appointment_type", APPOINTMENT_TYPES),
        one_of("status", APPOINTMENT_STATUSES),
        CheckConstraint("slot_end > slot_start", name="slot_end_after_start"),
        CheckConstraint("rescheduled_from_id IS NULL OR rescheduled_from_id <> id", name="not_rescheduled_from_self"),
        Index("ix_appointments_doctor_id_appointment_date", "doctor_id", "appointment_date"),
        partial_unique(
            "uq_appointments_live_slot",
            "patient_id",
            "doctor_id",
            "appointment_date",
            "slot_start",
            where=sql_in("status", LIVE_APPOINTMENT_STATUSES),
        ),
    )


class AppointmentStatusLog(LedgerMixin, Base):
    """Append-only history of an appointment's status: a row per change, the first with no ``from_status``."""

    __tablename__ = "appointment_status_log"

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[uuid.UUID | None]
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = ledger_args(
        one_of("from_status", APPOINTMENT_STATUSES),
        one_of("to_status", APPOINTMENT_STATUSES),
        CheckConstraint("from_status IS NULL OR from_status <> to_status", name="status_changes"),
    )


class AppointmentQueueEntry(TrackedMixin, Base):
    """A patient's place in a doctor's OPD queue for one day: token, priority, progress, estimated wait.

    Order of call: ``priority`` (0 = emergency, lower first), then check-in time, then the token. Every entry has an
    appointment (walk-ins get one of type ``walk_in``). ``doctor_id``/``queue_date`` repeat the
    appointment's so tokens can be unique per doctor and day. ``call_count`` counts calls (recalls after
    a skip). At most one entry per appointment is in play (partial unique index).
    """

    __tablename__ = "appointment_queue"

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    doctor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("doctors.id"), index=True)
    queue_date: Mapped[date]
    token_number: Mapped[int] = mapped_column(Integer)
    # The issuing PC's letter ("" on the first PC, "B" on WS02, ...): tokens stay short for the waiting-room
    # board ("7", "B3") and two reception PCs checking in offline never issue the same token.
    token_prefix: Mapped[str] = mapped_column(String(3), default="", server_default="")
    priority: Mapped[int] = mapped_column(Integer, default=QUEUE_PRIORITY_NORMAL)
    priority_group: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    checked_in_at: Mapped[datetime]
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    estimated_wait_minutes: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("doctor_id", "queue_date", "token_prefix", "token_number", name="uq_appointment_queue_token"),
        one_of("status", QUEUE_STATUSES),
        one_of("priority_group", PRIORITY_GROUPS),
        CheckConstraint("token_number >= 1", name="token_number_positive"),
        *non_negative("priority", "call_count", "estimated_wait_minutes"),
        partial_unique(
            "uq_appointment_queue_active_appointment",
            "appointment_id",
            where=sql_in("status", ACTIVE_QUEUE_STATUSES),
        ),
    )
