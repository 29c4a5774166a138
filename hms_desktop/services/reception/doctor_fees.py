"""Consultation fees of a doctor: by type, with effective dates and a free follow-up window.

Fees are integer paise, read from rupees with ``Decimal``; a new fee of a type closes the previous one the day
before it starts, so the history of what was charged stays readable. ``consultation_fee`` is a plain helper
(it takes a Session) for the booking and billing services.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.scheduling import APPOINTMENT_TYPES, FEE_TYPES, Appointment, DoctorFee
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.security.permissions import requires
from hms_desktop.services.reception.doctors import doctor_row, is_date, whole_number


@dataclass(frozen=True)
class FeeInput:
    fee_type: str  # opd, follow_up, emergency
    amount_rupees: str | Decimal  # "500", "499.50"
    follow_up_free_days: int  # follow_up fees only: a follow-up within this many days of a paid visit is free
    effective_from: date
    effective_to: date | None = None


@dataclass(frozen=True, kw_only=True)
class FeeView(FeeInput):
    """A stored fee: the ``FeeInput`` fields (``amount_rupees`` as text, "499.50") and the amount in paise."""

    id: uuid.UUID
    doctor_id: uuid.UUID
    amount_paise: int


def _fee_view(f: DoctorFee) -> FeeView:
    rupees = f"{Decimal(f.amount_paise) / 100:.2f}"
    return FeeView(
        fee_type=f.fee_type,
        amount_rupees=rupees,
        follow_up_free_days=f.follow_up_free_days,
        effective_from=f.effective_from,
        effective_to=f.effective_to,
        id=f.id,
        doctor_id=f.doctor_id,
        amount_paise=f.amount_paise,
    )


def _fee_type(value: object) -> str:
    if value not in FEE_TYPES:
        raise ValidationError("fee_type", "Choose the fee type: opd, follow_up or emergency.")
    return str(value)


def _fee_on(session: Session, doctor_id: uuid.UUID, fee_type: str, on: date) -> DoctorFee | None:
    return session.scalars(
        select(DoctorFee)
        .where(
            DoctorFee.doctor_id == doctor_id,
            DoctorFee.fee_type == fee_type,
            DoctorFee.deleted_at.is_(None),
            DoctorFee.effective_from <= on,
            (DoctorFee.effective_to.is_(None)) | (DoctorFee.effective_to >= on),
        )
        .order_by(DoctorFee.effective_from.desc())
        .limit(1)
    ).first()


@requires("doctors.manage")
def set_fee(ctx: Context, doctor_id: uuid.UUID, data: FeeInput) -> FeeView:
    fee_type = _fee_type(data.fee_type)
    paise = clean_rupees(data.amount_rupees)
    free_days = whole_number(data.follow_up_free_days, "follow_up_free_days", 0, 90, "Free follow-up days")
    if free_days and fee_type != "follow_up":
        raise ValidationError("follow_up_free_days", "Free follow-up days belong on the follow-up fee; use 0 here.")
    if not is_date(data.effective_from):
        raise ValidationError("effective_from", "Enter the date the fee starts.")
    if data.effective_to is not None and (not is_date(data.effective_to) or data.effective_to < data.effective_from):
        raise ValidationError("effective_to", "The end date must be a date on or after the start date.")
    with ctx.transaction() as tx:
        s = tx.session
        doctor = doctor_row(s, doctor_id, active=True)
        previous = s.scalars(
            select(DoctorFee)
            .where(DoctorFee.doctor_id == doctor.id, DoctorFee.fee_type == fee_type, DoctorFee.deleted_at.is_(None))
            .order_by(DoctorFee.effective_from.desc())
            .limit(1)
        ).first()
        if previous is not None:
            if data.effective_from <= previous.effective_from:
                raise ValidationError(
                    "effective_from",
                    f"The current {fee_type} fee starts on {previous.effective_from:%d %b %Y}; "
                    "a new fee must start after that.",
                )
            if previous.effective_to is None or previous.effective_to >= data.effective_from:
                previous.effective_to = data.effective_from - timedelta(days=1)
        fee = DoctorFee(
            doctor_id=doctor.id, fee_type=fee_type, amount_paise=paise, follow_up_free_days=free_days,
            effective_from=data.effective_from, effective_to=data.effective_to,
        )  # fmt: skip
        s.add(fee)
        tx.flush()
        view = _fee_view(fee)
        tx.commit()
    return view


@requires("doctors.view")
def fee_for(ctx: Context, doctor_id: uuid.UUID, fee_type: str, on: date) -> FeeView | None:
    """The fee of ``fee_type`` in force on ``on`` (None when none is set)."""
    kind = _fee_type(fee_type)
    if not is_date(on):
        raise ValidationError("on", "Enter a date.")
    with ctx.transaction(readonly=True) as tx:
        fee = _fee_on(tx.session, doctor_row(tx.session, doctor_id).id, kind, on)
        return _fee_view(fee) if fee else None


@requires("doctors.view")
def list_fees(ctx: Context, doctor_id: uuid.UUID) -> list[FeeView]:
    """Every fee of the doctor, past and present, by type and start date."""
    with ctx.transaction(readonly=True) as tx:
        doctor = doctor_row(tx.session, doctor_id)
        rows = tx.session.scalars(
            select(DoctorFee)
            .where(DoctorFee.doctor_id == doctor.id, DoctorFee.deleted_at.is_(None))
            .order_by(DoctorFee.fee_type, DoctorFee.effective_from)
        )
        return [_fee_view(f) for f in rows]


def _free_follow_up_days(session: Session, doctor_id: uuid.UUID, patient_id: uuid.UUID, visit_date: date) -> int:
    """The free window (in days) that covers ``visit_date``, or 0.

    The window runs from the patient's last *paid* completed visit with this doctor before ``visit_date``. A
    follow-up that was itself free does not restart it (else free follow-ups would chain forever), so the
    earlier visits are replayed in order, each follow-up judged by the window in force on its own date.
    (Visits on ``visit_date`` itself are left out: the visit being charged may already be completed.)
    """
    visits = session.execute(
        select(Appointment.appointment_date, Appointment.appointment_type)
        .where(
            Appointment.doctor_id == doctor_id,
            Appointment.patient_id == patient_id,
            Appointment.status == "completed",
            Appointment.deleted_at.is_(None),
            Appointment.appointment_date < visit_date,
        )
        .order_by(Appointment.appointment_date, Appointment.slot_start)
    ).all()
    follow_up_fees = session.scalars(
        select(DoctorFee)
        .where(DoctorFee.doctor_id == doctor_id, DoctorFee.fee_type == "follow_up", DoctorFee.deleted_at.is_(None))
        .order_by(DoctorFee.effective_from.desc())
    ).all()

    def window(day: date) -> int:  # what _fee_on(..., "follow_up", day) finds, without a query per visit
        fee = next((f for f in follow_up_fees if f.effective_from <= day and (f.effective_to or date.max) >= day), None)
        return fee.follow_up_free_days if fee else 0

    paid_on: date | None = None
    for day, kind in visits:
        if not (kind == "follow_up" and paid_on is not None and (day - paid_on).days <= window(day)):
            paid_on = day
    days = window(visit_date)
    return days if paid_on is not None and days and (visit_date - paid_on).days <= days else 0


def consultation_fee(
    session: Session, doctor_id: uuid.UUID, patient_id: uuid.UUID, visit_date: date, appointment_type: str
) -> tuple[str, int, str]:
    """(fee type charged, amount in paise, reason) for a visit.

    A follow-up within the doctor's free days of the patient's last paid visit costs 0; an emergency uses
    the emergency fee; anything else (or a type with no fee set) the OPD fee. Conflict when no fee is set.
    """
    if appointment_type not in APPOINTMENT_TYPES:
        raise ValidationError("appointment_type", "Choose the visit type: new, follow_up, emergency or walk_in.")
    doctor = doctor_row(session, doctor_id)
    if appointment_type in ("follow_up", "emergency"):
        if appointment_type == "follow_up":
            free_days = _free_follow_up_days(session, doctor.id, patient_id, visit_date)
            if free_days:
                return "follow_up", 0, f"free follow-up within {free_days} days"
        fee = _fee_on(session, doctor.id, appointment_type, visit_date)
        if fee is not None:
            return appointment_type, fee.amount_paise, f"{appointment_type.replace('_', '-')} fee"
    opd = _fee_on(session, doctor.id, "opd", visit_date)
    if opd is None:
        raise Conflict(f"No OPD fee is set for {doctor.display_name} on {visit_date:%d %b %Y}; set one under Fees.")
    return "opd", opd.amount_paise, "OPD fee"
