"""Gathering what the Rx printout shows (``hms_desktop.printing.prescription``) from the store: the clinic's
letterhead and logo (as the ID card gets them), the doctor's qualification and registration, the patient's age on
the prescription's date, and the current version's lines. Dates are the clinic's (its zone)."""

from __future__ import annotations

from sqlalchemy import select

from db.models.patients import Patient
from db.models.prescriptions import Prescription, PrescriptionVersion
from db.models.scheduling import Doctor
from hms_desktop.clinic_time import age_on, zone_of
from hms_desktop.context import Transaction
from hms_desktop.printing.prescription import RxPrintData, RxPrintLine
from hms_desktop.services.clinical.prescription_views import view
from hms_desktop.settings import LOGO_KEY, clinic_settings, current_hospital, setting_blob


def registration(doctor: Doctor) -> str:
    """ "Reg. No. KMC-48211 (Karnataka Medical Council)", "" when the doctor has no number."""
    if not doctor.registration_number:
        return ""
    council = f" ({doctor.registration_council})" if doctor.registration_council else ""
    return f"Reg. No. {doctor.registration_number}{council}"


def print_data(tx: Transaction, rx: Prescription, paper: str = "A5") -> RxPrintData:
    zone = zone_of(clinic_settings(tx.session))
    hospital = current_hospital(tx.session)
    doctor = tx.session.get(Doctor, rx.doctor_id)
    patient = tx.session.get(Patient, rx.patient_id)
    assert doctor is not None and patient is not None
    current = view(tx.session, rx)
    rx_date = rx.created_at.astimezone(zone).date()
    age = "Age -"
    if patient.date_of_birth is not None:
        age = f"{'~' if patient.dob_is_approximate else ''}{age_on(patient.date_of_birth, rx_date)} Y"
    saved = tx.session.scalar(
        select(PrescriptionVersion.created_at).where(
            PrescriptionVersion.prescription_id == rx.id, PrescriptionVersion.version == rx.version
        )
    )
    place = " ".join(p for p in (hospital.city, hospital.pincode) if p)
    address = ", ".join(p for p in (hospital.address_line1, hospital.address_line2, place, hospital.state) if p)
    return RxPrintData(
        hospital_name=hospital.name,
        hospital_address=address,
        hospital_phone=hospital.phone,
        logo=setting_blob(tx.session, hospital.id, LOGO_KEY),
        doctor_name=doctor.display_name,
        doctor_qualification=doctor.qualification,
        doctor_specialization=doctor.specialization,
        doctor_registration=registration(doctor),
        code=rx.code,
        version=rx.version,
        rx_date=rx_date,
        amended=current.amended,
        amended_on=saved.astimezone(zone).date() if current.amended and saved is not None else None,
        draft=rx.status == "draft",
        patient_name=patient.full_name,
        patient_age_sex=f"{age} / {patient.gender if patient.gender != 'U' else '-'}",
        patient_code=patient.code,
        chief_complaint=rx.chief_complaint,
        diagnosis=rx.diagnosis,
        lines=tuple(
            RxPrintLine(
                generic_name=i.generic_name,
                strength=i.strength,
                form=i.form,
                brand=i.medicine_name,
                dosage=i.dosage,
                frequency=i.frequency,
                frequency_label=i.frequency_label,
                duration_days=i.duration_days,
                food_timing=i.food_timing_label,
                route=i.route,
                instructions=i.instructions,
                quantity=i.quantity,
            )
            for i in current.items
        ),
        advice=rx.advice,
        follow_up_date=rx.follow_up_date,
        paper=paper,
    )
