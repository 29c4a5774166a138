"""Eye (spectacle) prescriptions: recording a refraction, correcting it, reading it back, printing it.

Who: ``optical.prescribe`` writes (Doctor, Optical Staff), ``optical.view`` reads and prints.

Saving (``save_eye_prescription``): the screen sends each eye's values as typed (``EyeInput``: strings);
``refraction`` parses them into the stored integers and every error names its field, ``right_sphere``,
``left_axis``, ``right_prism_base``, ``left_distance_va``, ``right_pd``, ``pd``, ``valid_until``, ...
(``<eye>_<EyeInput field>``), before anything is written. Per eye:
  * an eye is prescribed when it has a sphere (type PLANO for none); a cylinder, add or prism needs it;
  * a cylinder needs an axis; an axis without a cylinder is refused (not dropped: a cylinder typed in the
    wrong box would otherwise be lost without a word);
  * a prism needs its base, and a base its prism;
  * visual acuity (distance, near) and the monocular PD may be recorded for either eye, prescribed or not.
At least one eye must be prescribed (else ``right_sphere``). When the binocular PD and both monocular PDs
are given they must agree to within 1 mm (``pd``).

Who examined: ``doctor_id`` is the acting user's doctor profile when there is one. Optical Staff (an
optometrist) may record a refraction without being a doctor: ``doctor_id`` is then empty and the examiner
is the user who wrote it (``created_by_id``), printed by name without qualification or registration.

``examined_at`` is now; the code comes from the ``OPTICAL_PRESCRIPTIONS`` series (``ORX-2026-000001``);
``valid_until`` is one year after the clinic's today (29 Feb -> 28 Feb) unless a date is given, which must
not be in the past nor more than five years ahead. An appointment, when given, must be the patient's and
not cancelled or missed.

Corrections (``update_eye_prescription``): the author may correct the prescription in place on the clinic
day it was written (the audit trail keeps the old values and the reason). Anyone else, or the author on a
later day, gets a NEW prescription with the corrected values, its notes starting "Corrects ORX-...: reason";
the original stays as it was (it may already have been handed to the patient or an optician), and both are
linked in the audit trail. The result says which happened.

Reading: ``eye_prescription`` (stored integers, the formatted strings and each eye's transposed form),
``eye_prescriptions_for`` (a patient's, newest first) and ``latest_valid_eye_prescription`` (the newest one
whose ``valid_until`` is today or later: what an optical order starts from). ``eye_prescription_pdf``
prints it (an audited event).

The form (``EyeInput``, ``EyeRxInput``) and its checking live in ``eye_prescription_input``, the views
(``EyeRxView``, ``EyeView``, ``EyeRxCorrection``) in ``eye_prescription_views``; both are re-exported here.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import select

from db.models.optical import OpticalPrescription
from db.models.patients import Patient
from db.models.scheduling import Appointment, Doctor
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.printing.eye_prescription import EyeRxPrintData, EyeRxRow, render_eye_prescription
from hms_desktop.security.permissions import requires
from hms_desktop.series import OPTICAL_PRESCRIPTIONS, next_code
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.eye_prescription_input import (
    CleanRx,
    EyeInput,
    EyeRxInput,
    apply_to,
    clean_input,
    clean_notes,
    text_of,
)
from hms_desktop.services.optical.eye_prescription_views import (
    EyeRxCorrection,
    EyeRxView,
    EyeView,
    correctable,
    view_now,
    view_of,
)
from hms_desktop.services.optical.print_heading import clinic_heading
from hms_desktop.settings import clinic_settings, current_hospital
from hms_desktop.validation import clean_text

__all__ = [
    "DISTANCE_ACUITIES",
    "NEAR_ACUITIES",
    "PRISM_BASES",
    "EyeInput",
    "EyeRxCorrection",
    "EyeRxInput",
    "EyeRxView",
    "EyeView",
    "eye_prescription",
    "eye_prescription_pdf",
    "eye_prescriptions_for",
    "latest_valid_eye_prescription",
    "save_eye_prescription",
    "update_eye_prescription",
]

DISTANCE_ACUITIES = rx.DISTANCE_ACUITIES  # the screens' choices (ui never imports db)
NEAR_ACUITIES = rx.NEAR_ACUITIES
PRISM_BASES = rx.PRISM_BASES


# --- rows ---------------------------------------------------------------------------------------------------


def _patient(tx: Transaction, patient_id: object) -> Patient:
    found = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("patient_id", "No such patient (the record may have been archived).")
    return found


def _appointment(tx: Transaction, appointment_id: object, patient: Patient) -> uuid.UUID | None:
    if appointment_id is None:
        return None
    appt = tx.session.get(Appointment, appointment_id) if isinstance(appointment_id, uuid.UUID) else None
    if appt is None or appt.deleted_at is not None:
        raise ValidationError("appointment_id", "No such appointment.")
    if appt.patient_id != patient.id:
        raise ValidationError("appointment_id", f"Appointment {appt.code} is another patient's.")
    if appt.status in ("cancelled", "no_show"):
        raise ValidationError("appointment_id", f"Appointment {appt.code} is {appt.status.replace('_', ' ')}.")
    return appt.id


def _acting_doctor(tx: Transaction) -> Doctor | None:
    user_id = tx.actor.user_id
    if user_id is None:
        return None
    return tx.session.scalars(select(Doctor).where(Doctor.user_id == user_id, Doctor.deleted_at.is_(None))).first()


def _row(tx: Transaction, prescription_id: object) -> OpticalPrescription:
    found = tx.session.get(OpticalPrescription, prescription_id) if isinstance(prescription_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise NotFound("No such eye prescription.")
    return found


# --- services -----------------------------------------------------------------------------------------------


def _write(tx: Transaction, data: EyeRxInput, clean: CleanRx, patient: Patient) -> OpticalPrescription:
    settings = clinic_settings(tx.session)
    today = local_today(settings, tx.ctx.clock)
    appointment_id = _appointment(tx, data.appointment_id, patient)
    doctor = _acting_doctor(tx)
    row = OpticalPrescription(
        code=next_code(tx, OPTICAL_PRESCRIPTIONS.resolve(settings), today),
        patient_id=patient.id,
        doctor_id=doctor.id if doctor else None,
        appointment_id=appointment_id,
        examined_at=tx.ctx.clock.now(),
    )
    apply_to(row, clean)
    tx.session.add(row)
    tx.flush()
    return row


@requires("optical.prescribe")
def save_eye_prescription(ctx: Context, data: EyeRxInput) -> EyeRxView:
    """Record a refraction for a patient (the rules are in the module's docstring)."""
    with ctx.transaction() as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        clean = clean_input(data, today)
        row = _write(tx, data, clean, _patient(tx, data.patient_id))
        view = view_now(tx, row)
        tx.commit()
        return view


@requires("optical.prescribe")
def update_eye_prescription(ctx: Context, prescription_id: uuid.UUID, data: EyeRxInput, reason: str) -> EyeRxCorrection:
    """Correct a prescription: in place by its author on the day it was written, else as a new one."""
    with ctx.transaction() as tx:
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        row = _row(tx, prescription_id)
        why = clean_text(text_of(reason, "reason"), "reason", label="The reason for the correction", max_len=500)
        if getattr(data, "patient_id", None) != row.patient_id:
            raise ValidationError("patient_id", "A correction is for the same patient; write a new prescription.")
        clean = clean_input(data, today)
        patient = _patient(tx, row.patient_id)
        if correctable(tx, row, settings, today):
            if data.appointment_id is not None:
                row.appointment_id = _appointment(tx, data.appointment_id, patient)
            apply_to(row, clean)
            tx.flush()
            record(tx, "correct", entity_type="optical_prescriptions", entity_id=row.id, patient_id=patient.id,
                   detail=f"{row.code} corrected: {why}")  # fmt: skip
            result = EyeRxCorrection(
                prescription=view_of(tx, row, settings, today), amended_in_place=True,
                corrects_id=row.id, corrects_code=row.code,
            )  # fmt: skip
        else:
            lead = f"Corrects {row.code}: {why}"
            clean = replace(clean, notes=clean_notes(f"{lead}\n{clean.notes}" if clean.notes else lead))
            new = _write(tx, data, clean, patient)
            record(tx, "correct", entity_type="optical_prescriptions", entity_id=row.id, patient_id=patient.id,
                   detail=f"{row.code} corrected by {new.code}: {why}")  # fmt: skip
            result = EyeRxCorrection(
                prescription=view_of(tx, new, settings, today), amended_in_place=False,
                corrects_id=row.id, corrects_code=row.code,
            )  # fmt: skip
        tx.commit()
        return result


@requires("optical.view")
def eye_prescription(ctx: Context, prescription_id: uuid.UUID) -> EyeRxView:
    """One prescription: stored values, formatted strings, each eye transposed (NotFound if there is none)."""
    with ctx.transaction(readonly=True) as tx:
        return view_now(tx, _row(tx, prescription_id))


def _of_patient(tx: Transaction, patient_id: uuid.UUID) -> list[OpticalPrescription]:
    patient = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
    if patient is None or patient.deleted_at is not None:
        raise NotFound("No such patient.")
    return list(
        tx.session.scalars(
            select(OpticalPrescription)
            .where(OpticalPrescription.patient_id == patient.id, OpticalPrescription.deleted_at.is_(None))
            .order_by(OpticalPrescription.examined_at.desc(), OpticalPrescription.id.desc())
        )
    )


@requires("optical.view")
def eye_prescriptions_for(ctx: Context, patient_id: uuid.UUID) -> list[EyeRxView]:
    """The patient's eye prescriptions, newest first."""
    with ctx.transaction(readonly=True) as tx:
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        return [view_of(tx, row, settings, today) for row in _of_patient(tx, patient_id)]


@requires("optical.view")
def latest_valid_eye_prescription(ctx: Context, patient_id: uuid.UUID) -> EyeRxView | None:
    """The newest prescription still valid today (``valid_until`` today or later, or none set); None if none."""
    with ctx.transaction(readonly=True) as tx:
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        for row in _of_patient(tx, patient_id):
            if row.valid_until is None or row.valid_until >= today:
                return view_of(tx, row, settings, today)
        return None


# --- printing -----------------------------------------------------------------------------------------------


def _print_row(eye: EyeView) -> EyeRxRow:
    cylinder = eye.cylinder_text or ("DS" if eye.prescribed else "")
    return EyeRxRow(
        label=eye.label, sphere=eye.sphere_text, cylinder=cylinder, axis=eye.axis_text, prism=eye.prism_text,
        add=eye.add_text, distance_va=eye.distance_va or "", near_va=eye.near_va or "",
    )  # fmt: skip


def _print_data(tx: Transaction, view: EyeRxView, orientation: str) -> EyeRxPrintData:
    heading = clinic_heading(tx)
    return EyeRxPrintData(
        hospital_name=heading.name,
        hospital_address=heading.address,
        hospital_contact=heading.contact,
        hospital_registration=current_hospital(tx.session).licence_number,
        logo=heading.logo,
        code=view.code,
        patient_name=view.patient_name,
        patient_code=view.patient_code,
        age_sex=view.age_sex,
        examined_on=view.examined_on,
        right=_print_row(view.right),
        left=_print_row(view.left),
        pd=view.pd_text,
        lens_recommendation=view.lens_recommendation,
        notes=view.notes,
        valid_until=view.valid_until,
        examiner_name=view.examiner_name,
        examiner_qualification=view.examiner_qualification,
        examiner_registration=view.examiner_registration,
        orientation=orientation,
    )


@requires("optical.view")
def eye_prescription_pdf(ctx: Context, prescription_id: uuid.UUID, *, orientation: str = "portrait") -> bytes:
    """The A5 printout (portrait or landscape) of a prescription; each print is recorded in the audit trail."""
    if orientation not in ("portrait", "landscape"):
        raise ValidationError("orientation", "Print the prescription portrait or landscape.")
    with ctx.transaction() as tx:
        row = _row(tx, prescription_id)
        pdf = render_eye_prescription(_print_data(tx, view_now(tx, row), orientation))
        record(tx, "print", entity_type="optical_prescriptions", entity_id=row.id, patient_id=row.patient_id,
               detail=f"Eye prescription {row.code} ({orientation})")  # fmt: skip
        tx.commit()
        return pdf
