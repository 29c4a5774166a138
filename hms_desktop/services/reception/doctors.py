"""Doctors: profiles, one per user account. Schedules and leaves are in ``doctor_schedules``, fees in
``doctor_fees``. A doctor is never removed: ``deactivate_doctor`` marks the profile inactive.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.hospital import Department
from db.models.identity import User
from db.models.scheduling import LIVE_APPOINTMENT_STATUSES, Appointment, Doctor
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text


@dataclass(frozen=True)
class DoctorInput:
    user_id: uuid.UUID
    display_name: str
    specialization: str
    qualification: str
    registration_number: str
    registration_council: str
    department_id: uuid.UUID | None = None
    default_consultation_minutes: int = 15
    bio: str = ""


@dataclass(frozen=True, kw_only=True)
class DoctorView(DoctorInput):
    """The stored profile: its id and the ``DoctorInput`` fields (edit with ``dataclasses.replace``)."""

    id: uuid.UUID
    department_name: str | None
    is_active: bool


def is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def whole_number(value: object, field: str, lo: int, hi: int, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(field, f"{label} must be a whole number from {lo} to {hi}.")
    return value


def doctor_row(session: Session, doctor_id: uuid.UUID, *, active: bool = False) -> Doctor:
    """The doctor (NotFound if missing); with ``active=True`` an inactive doctor is a Conflict."""
    found = session.get(Doctor, doctor_id) if isinstance(doctor_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise NotFound("That doctor does not exist (the profile may have been removed on another PC).")
    if active and not found.is_active:
        raise Conflict(f"{found.display_name} is no longer active; reactivate the profile first.")
    return found


def _text(value: object, field: str, label: str, max_len: int, required: bool = True) -> str:
    return clean_text(value if isinstance(value, str) else None, field, label=label, required=required, max_len=max_len)


def _clean(data: DoctorInput) -> dict[str, object]:
    number = _text(data.registration_number, "registration_number", "Registration number", 32).upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9 /.\-]*", number):
        raise ValidationError(
            "registration_number", "A registration number has letters, digits, spaces, / . or -, e.g. KMC 12345."
        )
    return {
        "display_name": _text(data.display_name, "display_name", "Name shown to patients", 200),
        "specialization": _text(data.specialization, "specialization", "Specialization", 120),
        "qualification": _text(data.qualification, "qualification", "Qualification", 200),
        "registration_number": number,
        "registration_council": _text(data.registration_council, "registration_council", "Medical council", 120),
        "default_consultation_minutes": whole_number(
            data.default_consultation_minutes, "default_consultation_minutes", 5, 120, "Consultation minutes"
        ),
        "bio": _text(data.bio, "bio", "Biography", 2000, required=False),
    }


def _check_links(session: Session, data: DoctorInput, values: dict[str, object], exclude: uuid.UUID | None) -> None:
    if data.department_id is not None:
        dept = session.get(Department, data.department_id) if isinstance(data.department_id, uuid.UUID) else None
        if dept is None or dept.deleted_at is not None or not dept.is_active:
            raise ValidationError("department_id", "Choose an active department (or none).")
    council = str(values["registration_council"]).casefold()
    for other in session.scalars(select(Doctor).where(Doctor.registration_number == values["registration_number"])):
        if other.id != exclude and other.registration_council.casefold() == council:
            raise ValidationError(
                "registration_number",
                f"Registration {values['registration_number']} of {other.registration_council} already belongs "
                f"to {other.display_name}.",
            )


def _view(d: Doctor, department_name: str | None) -> DoctorView:
    return DoctorView(
        user_id=d.user_id,
        display_name=d.display_name,
        specialization=d.specialization,
        qualification=d.qualification,
        registration_number=d.registration_number or "",
        registration_council=d.registration_council,
        department_id=d.department_id,
        default_consultation_minutes=d.default_consultation_minutes,
        bio=d.bio,
        id=d.id,
        department_name=department_name,
        is_active=d.is_active,
    )


def _view_of(session: Session, d: Doctor) -> DoctorView:
    dept = session.get(Department, d.department_id) if d.department_id else None
    return _view(d, dept.name if dept else None)


@requires("doctors.manage")
def create_doctor(ctx: Context, data: DoctorInput) -> DoctorView:
    values = _clean(data)
    with ctx.transaction() as tx:
        s = tx.session
        user = s.get(User, data.user_id) if isinstance(data.user_id, uuid.UUID) else None
        if user is None or user.deleted_at is not None or user.status != "active":
            raise ValidationError("user_id", "Choose an active staff account for the doctor.")
        if s.scalar(select(Doctor.id).where(Doctor.user_id == user.id)) is not None:
            raise ValidationError("user_id", f"{user.full_name} already has a doctor profile.")
        _check_links(s, data, values, None)
        doctor = Doctor(user_id=user.id, department_id=data.department_id, is_active=True, **values)
        s.add(doctor)
        tx.flush()
        view = _view_of(s, doctor)
        tx.commit()
    return view


@requires("doctors.manage")
def update_doctor(ctx: Context, doctor_id: uuid.UUID, data: DoctorInput) -> DoctorView:
    """Replace the profile's fields with ``data`` (start from the ``DoctorView``); the user cannot change."""
    values = _clean(data)
    with ctx.transaction() as tx:
        doctor = doctor_row(tx.session, doctor_id)
        if data.user_id != doctor.user_id:
            raise ValidationError("user_id", "A doctor profile stays with its staff account; create a new profile.")
        _check_links(tx.session, data, values, doctor.id)
        for attr, value in {**values, "department_id": data.department_id}.items():
            if getattr(doctor, attr) != value:
                setattr(doctor, attr, value)
        tx.flush()
        view = _view_of(tx.session, doctor)
        tx.commit()
    return view


@requires("doctors.manage")
def deactivate_doctor(ctx: Context, doctor_id: uuid.UUID) -> DoctorView:
    """Retire a profile (kept, marked inactive). Refused while the doctor has live appointments from today."""
    with ctx.transaction() as tx:
        s = tx.session
        doctor = doctor_row(s, doctor_id)
        live = s.scalar(
            select(func.count())
            .where(Appointment.doctor_id == doctor.id, Appointment.deleted_at.is_(None))
            .where(Appointment.appointment_date >= local_today(clinic_settings(s), ctx.clock))
            .where(Appointment.status.in_(LIVE_APPOINTMENT_STATUSES))
        )
        if live:
            raise Conflict(f"{doctor.display_name} has {live} appointment(s) from today on; move or cancel them first.")
        if doctor.is_active:
            doctor.is_active = False
            tx.flush()
        view = _view_of(s, doctor)
        tx.commit()
    return view


@requires("doctors.view")
def list_doctors(ctx: Context, *, department_id: uuid.UUID | None = None, active_only: bool = True) -> list[DoctorView]:
    with ctx.transaction(readonly=True) as tx:
        query = (
            select(Doctor, Department.name)
            .outerjoin(Department, Department.id == Doctor.department_id)
            .where(Doctor.deleted_at.is_(None))
        )
        if department_id is not None:
            query = query.where(Doctor.department_id == department_id)
        if active_only:
            query = query.where(Doctor.is_active.is_(True))
        return [_view(d, dept_name) for d, dept_name in tx.session.execute(query.order_by(Doctor.display_name))]


@requires("doctors.view")
def get_doctor(ctx: Context, doctor_id: uuid.UUID) -> DoctorView:
    with ctx.transaction(readonly=True) as tx:
        return _view_of(tx.session, doctor_row(tx.session, doctor_id))
