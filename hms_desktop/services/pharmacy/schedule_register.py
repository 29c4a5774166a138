"""The Schedule H1 and X registers (Drugs and Cosmetics Rules: H1 kept 3 years, X 2): one entry per dispensed
line of an H1 or X medicine, written by ``dispensing.dispense`` in the same transaction, never changed
(``schedule_register`` is append-only).

Everything the rules ask for is copied in at the time of supply, so a later edit of a patient, doctor or
medicine does not rewrite the register: the prescriber's name (the doctor's display name), registration
("Reg. No. KMC-48211 (Karnataka Medical Council)") and address (the clinic where they prescribed: its name and
address), the patient's name and address (the patient's address fields), the medicine as "brand (generic
strength)", its manufacturer, the batch and its expiry, the quantity, and who dispensed it (id and full name).

Reading (``pharmacy.view``): ``schedule_register(ctx, "H1", date_from, date_to)`` lists the entries whose supply
falls on those local dates (the clinic's zone), in the order of supply; ``schedule_register_pdf`` prints them
(A4 landscape, ``hms_desktop.printing.schedule_register``); each print is an audited event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from db.models.hospital import Hospital
from db.models.identity import User
from db.models.patients import Patient
from db.models.pharmacy import (
    REGISTER_SCHEDULES,
    Medicine,
    MedicineBatch,
    PharmacyDispensing,
    PharmacyDispensingItem,
    ScheduleRegisterEntry,
)
from db.models.prescriptions import Prescription
from db.models.scheduling import Doctor
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import ValidationError
from hms_desktop.printing.schedule_register import RegisterPrintData, RegisterPrintRow, render_schedule_register
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.prescription_print import registration
from hms_desktop.services.pharmacy.dispensing_views import medicine_label
from hms_desktop.settings import clinic_settings, current_hospital


@dataclass(frozen=True, kw_only=True)
class Parties:
    """Who a supply was for, on whose prescription, and who made it (copied onto each entry)."""

    prescription_id: uuid.UUID
    prescription_code: str
    prescriber_name: str
    prescriber_registration: str
    prescriber_address: str
    patient_id: uuid.UUID
    patient_name: str
    patient_address: str
    dispensed_by_id: uuid.UUID
    dispensed_by_name: str


@dataclass(frozen=True, kw_only=True)
class RegisterEntryView:
    id: uuid.UUID
    schedule: str
    supplied_at: datetime
    dispensing_id: uuid.UUID
    dispensing_item_id: uuid.UUID
    dispensing_code: str
    prescription_id: uuid.UUID
    prescription_code: str
    prescriber_name: str
    prescriber_registration: str
    prescriber_address: str
    patient_id: uuid.UUID
    patient_name: str
    patient_address: str
    medicine_id: uuid.UUID
    medicine_name: str
    manufacturer: str
    batch_number: str
    expiry_date: date
    quantity: int
    dispensed_by_id: uuid.UUID
    dispensed_by_name: str


def clinic_address(h: Hospital) -> str:
    """ "Sunrise Clinic, 12 MG Road, Bengaluru 560001, Karnataka": where the prescriber practises."""
    place = " ".join(x for x in (h.city, h.pincode) if x)
    return ", ".join(x for x in (h.name, h.address_line1, h.address_line2, place, h.state) if x)


def patient_address(p: Patient) -> str:
    place = " ".join(x for x in (p.city, p.pincode) if x)
    return ", ".join(x for x in (p.address_line1, p.address_line2, place, p.state) if x)


def parties_of(tx: Transaction, rx: Prescription, patient: Patient, user: User) -> Parties:
    doctor = tx.session.get(Doctor, rx.doctor_id)
    assert doctor is not None
    return Parties(
        prescription_id=rx.id, prescription_code=rx.code, prescriber_name=doctor.display_name,
        prescriber_registration=registration(doctor), prescriber_address=clinic_address(current_hospital(tx.session)),
        patient_id=patient.id, patient_name=patient.full_name, patient_address=patient_address(patient),
        dispensed_by_id=user.id, dispensed_by_name=user.full_name,
    )  # fmt: skip


def enter_supply(tx: Transaction, parties: Parties, *, dispensing: PharmacyDispensing, item: PharmacyDispensingItem,
                 medicine: Medicine, batch: MedicineBatch) -> ScheduleRegisterEntry:  # fmt: skip
    """The register entry of one dispensed line of an H1 or X medicine (in the dispensing's transaction)."""
    assert medicine.schedule in REGISTER_SCHEDULES and dispensing.dispensed_at is not None
    entry = ScheduleRegisterEntry(
        schedule=medicine.schedule, supplied_at=dispensing.dispensed_at, dispensing_id=dispensing.id,
        dispensing_item_id=item.id, dispensing_code=dispensing.code, prescription_id=parties.prescription_id,
        prescription_code=parties.prescription_code, prescriber_name=parties.prescriber_name,
        prescriber_registration=parties.prescriber_registration[:200],
        prescriber_address=parties.prescriber_address[:500], patient_id=parties.patient_id,
        patient_name=parties.patient_name, patient_address=parties.patient_address[:500], medicine_id=medicine.id,
        medicine_name=medicine_label(medicine)[:300], manufacturer=medicine.manufacturer,
        batch_number=batch.batch_number, expiry_date=batch.expiry_date, quantity=item.quantity,
        dispensed_by_id=parties.dispensed_by_id, dispensed_by_name=parties.dispensed_by_name,
    )  # fmt: skip
    tx.session.add(entry)
    tx.flush()
    return entry


def _period(schedule: str, date_from: date, date_to: date) -> None:
    if schedule not in REGISTER_SCHEDULES:
        raise ValidationError("schedule", "Choose the register: Schedule H1 or Schedule X.")
    for field, value in (("date_from", date_from), ("date_to", date_to)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValidationError(field, "Enter a date.")
    if date_from > date_to:
        raise ValidationError("date_to", "The period ends before it starts.")


def _entries(tx: Transaction, schedule: str, date_from: date, date_to: date) -> list[ScheduleRegisterEntry]:
    zone = zone_of(clinic_settings(tx.session))
    start = datetime.combine(date_from, time(0), zone)
    end = datetime.combine(date_to + timedelta(days=1), time(0), zone)
    return list(
        tx.session.scalars(
            select(ScheduleRegisterEntry)
            .where(
                ScheduleRegisterEntry.schedule == schedule,
                ScheduleRegisterEntry.supplied_at >= start,
                ScheduleRegisterEntry.supplied_at < end,
            )
            .order_by(
                ScheduleRegisterEntry.supplied_at,
                ScheduleRegisterEntry.dispensing_code,
                ScheduleRegisterEntry.created_at,
            )  # fmt: skip
        )
    )


def _view(e: ScheduleRegisterEntry) -> RegisterEntryView:
    return RegisterEntryView(**{f: getattr(e, f) for f in RegisterEntryView.__dataclass_fields__})


@requires("pharmacy.view")
def schedule_register(ctx: Context, schedule: str, date_from: date, date_to: date) -> list[RegisterEntryView]:
    """The register's entries supplied on the local dates ``date_from``..``date_to``, in the order of supply."""
    _period(schedule, date_from, date_to)
    with ctx.transaction(readonly=True) as tx:
        return [_view(e) for e in _entries(tx, schedule, date_from, date_to)]


@requires("pharmacy.view")
def schedule_register_pdf(ctx: Context, schedule: str, date_from: date, date_to: date) -> bytes:
    """The register for the period as an A4 landscape PDF; the print is recorded in the audit trail."""
    _period(schedule, date_from, date_to)
    with ctx.transaction() as tx:
        zone = zone_of(clinic_settings(tx.session))
        hospital = current_hospital(tx.session)
        entries = _entries(tx, schedule, date_from, date_to)
        now = ctx.clock.now().astimezone(zone)
        data = RegisterPrintData(
            hospital_name=hospital.name, hospital_address=clinic_address(hospital).removeprefix(hospital.name + ", "),
            schedule=schedule, period=f"{date_from:%d %b %Y} to {date_to:%d %b %Y}",
            printed=f"{now:%d %b %Y, %H:%M} {now.tzname()}",
            rows=tuple(
                RegisterPrintRow(
                    serial=n, supplied=f"{e.supplied_at.astimezone(zone):%d %b %Y, %H:%M}",
                    dispensing_code=e.dispensing_code, prescription_code=e.prescription_code,
                    prescriber_name=e.prescriber_name, prescriber_registration=e.prescriber_registration,
                    prescriber_address=e.prescriber_address, patient_name=e.patient_name,
                    patient_address=e.patient_address, medicine=e.medicine_name, manufacturer=e.manufacturer,
                    batch_number=e.batch_number, expiry=f"{e.expiry_date:%d %b %Y}", quantity=e.quantity,
                    dispensed_by=e.dispensed_by_name,
                )
                for n, e in enumerate(entries, start=1)
            ),
        )  # fmt: skip
        pdf = render_schedule_register(data)
        record(tx, "print", entity_type="schedule_register",
               detail=f"Schedule {schedule} register, {data.period} ({len(entries)} entries)")  # fmt: skip
        tx.commit()
        return pdf
